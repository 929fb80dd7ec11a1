/**
 * The one line every benchmark prints per figure, parsed by bench/run.ts and read by
 * people: `BENCH <name>: <figure> <unit> (target <= <target> <unit>) PASS|MISS`.
 *
 * @example
 *   report('login page render', 0.41, 'ms', { atMost: 2 })
 *   report('requests per second', 14200, 'req/s', { atLeast: 5000 })
 */
export type Target = { atMost: number } | { atLeast: number }

export function report(name: string, figure: number, unit: string, target: Target): boolean {
  const pass = 'atMost' in target ? figure <= target.atMost : figure >= target.atLeast
  const bound = 'atMost' in target ? `<= ${target.atMost}` : `>= ${target.atLeast}`
  const shown = Number.isInteger(figure) ? String(figure) : figure.toFixed(figure < 10 ? 2 : 1)
  process.stdout.write(
    `BENCH ${name}: ${shown} ${unit} (target ${bound} ${unit}) ${pass ? 'PASS' : 'MISS'}\n`,
  )
  return pass
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
