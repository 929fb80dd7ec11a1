/**
 * `bun run bench`: runs every bench/*.bench.ts, one at a time, each in its own bun
 * process so one benchmark's heap and JIT never colour the next. Their output passes
 * through; the BENCH lines are repeated at the end as the summary. Exit 1 when a
 * benchmark crashed or printed no BENCH line; a MISS is reported, not fatal
 * (`--strict` makes it fatal).
 *
 * Usage: bun bench/run.ts [--strict] [name-filter]
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'

const args = process.argv.slice(2)
const strict = args.includes('--strict')
const filter = args.find((a) => !a.startsWith('--')) ?? ''
const files = readdirSync(import.meta.dir)
  .filter((f) => f.endsWith('.bench.ts') && f.includes(filter))
  .sort()

const summary: string[] = []
let failed = 0
for (const file of files) {
  process.stdout.write(`\n== ${file}\n`)
  const child = Bun.spawn([process.execPath, join(import.meta.dir, file)], {
    cwd: join(import.meta.dir, '..'),
    stdout: 'pipe',
    stderr: 'inherit',
  })
  const lines: string[] = []
  const decoder = new TextDecoder()
  let rest = ''
  const reader = child.stdout.getReader()
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    const text = rest + decoder.decode(read.value, { stream: true })
    const parts = text.split('\n')
    rest = parts.pop() ?? ''
    for (const line of parts) {
      process.stdout.write(`${line}\n`)
      lines.push(line)
    }
  }
  if (rest) {
    process.stdout.write(`${rest}\n`)
    lines.push(rest)
  }
  const code = await child.exited
  const bench = lines.filter((l) => l.startsWith('BENCH '))
  summary.push(...bench)
  if (code !== 0 || bench.length === 0) {
    failed++
    summary.push(`FAILED ${file}: exit ${code}${bench.length ? '' : ', no BENCH line'}`)
  }
}

const misses = summary.filter((l) => l.startsWith('BENCH ') && l.endsWith(' MISS')).length
const passes = summary.filter((l) => l.startsWith('BENCH ') && l.endsWith(' PASS')).length
process.stdout.write(
  `\n== summary\n${summary.join('\n')}\n${passes} PASS, ${misses} MISS, ${failed} failed\n`,
)
process.exit(failed > 0 || (strict && misses > 0) ? 1 : 0)
