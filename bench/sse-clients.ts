/**
 * The viewers of bench/sse.bench.ts: `count` SSE streams to one loopback URL, opened in
 * small groups, each counting the messages it receives. Prints {"connected":N} once
 * all are open, then, on SIGTERM, {"opened","failed","ended","stalled","min","max"}: streams
 * that never opened, streams the server ended early, streams that heard nothing for
 * `stall-seconds`, and the fewest and most messages a stream received.
 *
 * Usage: bun bench/sse-clients.ts <url> <cookie> <count> [stall-seconds=12]
 */
export {}

const [url, cookie, countArg, stallArg] = process.argv.slice(2)
if (!url || !/^http:\/\/127\.0\.0\.1:\d+\//.test(url) || !cookie) {
  process.stderr.write('sse-clients.ts: give a loopback URL and a cookie\n')
  process.exit(2)
}
const count = Math.min(Number(countArg ?? 1000), 10_000)
const stallMs = Number(stallArg ?? 12) * 1000
const messages = new Array<number>(count).fill(0)
const live = new Array<boolean>(count).fill(false)
const lastAt = new Array<number>(count).fill(0)
let opened = 0
let failed = 0
let ended = 0
let stopping = false
const controllers: AbortController[] = []

async function open(i: number) {
  const controller = new AbortController()
  controllers.push(controller)
  let res: Response
  try {
    res = await fetch(url!, {
      headers: { cookie: cookie!, accept: 'text/event-stream' },
      signal: controller.signal,
    })
  } catch {
    failed++
    return
  }
  if (res.status !== 200 || !res.body) {
    failed++
    return
  }
  opened++
  live[i] = true
  const reader = res.body.getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      buffer += decoder.decode(value, { stream: true })
      let end = buffer.indexOf('\n\n')
      while (end >= 0) {
        if (buffer.slice(0, end).includes('data:')) {
          messages[i]!++
          lastAt[i] = Date.now()
        }
        buffer = buffer.slice(end + 2)
        end = buffer.indexOf('\n\n')
      }
    }
  } catch {
    // Aborted by us at the end, or cut by the server.
  }
  if (!stopping) ended++
}

for (let i = 0; i < count; i += 100) {
  for (let j = i; j < Math.min(i + 100, count); j++) void open(j)
  while (opened + failed < Math.min(i + 100, count)) await Bun.sleep(5)
}
process.stdout.write(`${JSON.stringify({ connected: opened })}\n`)
await new Promise<void>((resolve) => process.once('SIGTERM', resolve))
stopping = true
for (const c of controllers) c.abort()
const counted = messages.filter((_, i) => live[i])
// A stream that heard nothing for two sampling intervals and more has stalled.
const stalled = lastAt.filter((at, i) => live[i] && Date.now() - at > stallMs).length
process.stdout.write(
  `${JSON.stringify({ opened, failed, ended, stalled, min: Math.min(...counted), max: Math.max(...counted) })}\n`,
)
process.exit(0)
