/**
 * Simulated agents for bench/ingest.bench.ts, as a process of its own so its work is
 * not counted as the panel's: every agent token in the file pushes one sample (this
 * host's, freshly dated) to the ingest endpoint in turn, at `rate` requests per second
 * overall, for `seconds` after `warmup` seconds. Prints one JSON line:
 * {"sent":N,"ok":N,"bad":N,"seconds":S}.
 *
 * Usage: bun bench/agent-load.ts <panel-url> <tokens-file> [rate=400] [seconds=20] [warmup=3]
 */
import { readFileSync } from 'node:fs'
import { createCollector } from '../src/areas/metrics/collector.ts'

const [panel, tokensFile, rateArg, secondsArg, warmupArg] = process.argv.slice(2)
if (!panel || !/^http:\/\/127\.0\.0\.1:\d+$/.test(panel) || !tokensFile) {
  process.stderr.write('agent-load.ts: give a loopback panel URL and a tokens file\n')
  process.exit(2)
}
const tokens = readFileSync(tokensFile, 'utf8').trim().split('\n')
const rate = Math.min(Number(rateArg ?? 400), 2000)
const seconds = Math.min(Number(secondsArg ?? 20), 60)
const warmup = Math.min(Number(warmupArg ?? 3), 10)
const url = `${panel}/api/v1/agent/samples`
const collector = createCollector()
await Bun.sleep(200)
let sample = collector.sample(5)

let next = 0
const counts = { sent: 0, ok: 0, bad: 0 }
let counting = false

async function push() {
  const token = tokens[next++ % tokens.length]!
  const body = JSON.stringify({ samples: [{ ...sample, at: new Date().toISOString() }] })
  if (counting) counts.sent++
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body,
    })
    await res.arrayBuffer()
    if (counting) res.status === 202 ? counts.ok++ : counts.bad++
  } catch {
    if (counting) counts.bad++
  }
}

// Requests go out in small groups every 10 ms, which is how 2,000 agents on 5 s timers look.
const started = performance.now()
let due = 0
let sampledAt = 0
const timer = setInterval(() => {
  const elapsed = (performance.now() - started) / 1000
  counting = elapsed >= warmup
  const target = Math.floor(elapsed * rate)
  while (due < target) {
    due++
    void push()
  }
  if (elapsed - sampledAt >= 5) {
    sample = collector.sample(5)
    sampledAt = elapsed
  }
}, 10)
await Bun.sleep((warmup + seconds) * 1000)
clearInterval(timer)
await Bun.sleep(500)
process.stdout.write(`${JSON.stringify({ ...counts, seconds })}\n`)
