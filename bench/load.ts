/**
 * A bounded HTTP load generator for the benchmarks, run as its own process so it does
 * not share an event loop with the server it measures: `concurrency` loops of fetch
 * against one loopback URL for `seconds` (after a warm-up), then one JSON line
 * {"requests":N,"seconds":S,"rps":R,"bad":B} on stdout.
 *
 * Usage: bun bench/load.ts <url> [seconds=3] [concurrency=32] [warmup=1]
 */
export {}

const [url, secondsArg, concurrencyArg, warmupArg] = process.argv.slice(2)
if (!url || !/^http:\/\/(127\.\d+\.\d+\.\d+|\[::1\]|localhost)(:\d+)?\//.test(url)) {
  process.stderr.write('load.ts: give a loopback http:// URL\n')
  process.exit(2)
}
const seconds = Math.min(Number(secondsArg ?? 3), 30)
const concurrency = Math.min(Number(concurrencyArg ?? 32), 256)
const warmup = Math.min(Number(warmupArg ?? 1), 10)

async function loop(until: number, counts: { ok: number; bad: number }) {
  while (performance.now() < until) {
    const res = await fetch(url!)
    await res.arrayBuffer()
    if (res.status === 200) counts.ok++
    else counts.bad++
  }
}

const warm = { ok: 0, bad: 0 }
const warmEnd = performance.now() + warmup * 1000
await Promise.all(Array.from({ length: concurrency }, () => loop(warmEnd, warm)))

const counts = { ok: 0, bad: 0 }
const started = performance.now()
const end = started + seconds * 1000
await Promise.all(Array.from({ length: concurrency }, () => loop(end, counts)))
const elapsed = (performance.now() - started) / 1000
process.stdout.write(
  `${JSON.stringify({ requests: counts.ok, seconds: elapsed, rps: Math.round(counts.ok / elapsed), bad: counts.bad })}\n`,
)
