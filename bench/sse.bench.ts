/**
 * 10,000 concurrent SSE streams on one panel process for 60 s.
 * Targets (issue 4): 0 drops; ≤ 25 KB of resident memory per stream.
 *
 * The panel (bench/sse-panel.ts) runs alone in its process and samples this host every
 * 5 s, its default (UNIPANEL_BENCH_SSE_INTERVAL=1 for the fastest pace allowed); two
 * viewer processes (bench/sse-clients.ts) hold 5,000 dashboard streams each over
 * loopback, every stream subscribed to that server's live card. A drop is a stream that
 * failed to open, ended before the run did, or stalled (heard nothing for two sampling
 * intervals and more at the end of the run). Memory per stream is the panel's VmRSS
 * with the streams open minus before, each read after a full garbage collection, over
 * the number of streams; the RSS before that collection is printed too (Bun collects
 * lazily, so until it does, each message's per-stream copies are still counted).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { report } from './report.ts'

/** Smaller runs for a quick look: UNIPANEL_BENCH_SSE_STREAMS, UNIPANEL_BENCH_SSE_SECONDS. */
const STREAMS = Number(process.env.UNIPANEL_BENCH_SSE_STREAMS ?? 10_000)
const PROCESSES = 2
const HOLD_S = Number(process.env.UNIPANEL_BENCH_SSE_SECONDS ?? 60)
const INTERVAL_S = Number(process.env.UNIPANEL_BENCH_SSE_INTERVAL ?? 5)

// Bun's fetch runs at most 256 requests at once unless told otherwise; a viewer process holds 5,000.
const CLIENT_ENV = { ...process.env, BUN_CONFIG_MAX_HTTP_REQUESTS: '65535' }

const rss = (pid: number) =>
  Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024

async function firstLine(
  stream: ReadableStream<Uint8Array>,
): Promise<{ line: string; rest: ReadableStreamDefaultReader<Uint8Array> }> {
  const reader = stream.getReader()
  const decoder = new TextDecoder()
  let text = ''
  while (!text.includes('\n')) {
    const { done, value } = await reader.read()
    if (done) throw new Error(`process ended before a line (${text})`)
    text += decoder.decode(value, { stream: true })
  }
  return { line: text.slice(0, text.indexOf('\n')), rest: reader }
}

async function nextLine(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder()
  let text = ''
  while (!text.includes('\n')) {
    const { done, value } = await reader.read()
    if (done) break
    text += decoder.decode(value, { stream: true })
  }
  return text.trim()
}

const panel = Bun.spawn([process.execPath, join(import.meta.dir, 'sse-panel.ts')], {
  stdout: 'pipe',
  stderr: 'inherit',
})
const clients: ReturnType<typeof Bun.spawn>[] = []
try {
  const ready = await firstLine(panel.stdout)
  const { port, cookie } = JSON.parse(ready.line) as { port: number; cookie: string }
  const url = `http://127.0.0.1:${port}/dashboard/live`
  // Warm the panel up with a few streams, then let it settle before the baseline.
  const warm = Bun.spawn([process.execPath, join(import.meta.dir, 'sse-clients.ts'), url, cookie, '200'], {
    stdout: 'pipe',
    env: CLIENT_ENV,
  })
  const warmOut = await firstLine(warm.stdout)
  await Bun.sleep(2000)
  warm.kill('SIGTERM')
  await nextLine(warmOut.rest)
  await warm.exited
  await Bun.sleep(3000)
  const collect = async () => {
    panel.kill('SIGUSR2')
    await nextLine(ready.rest)
    await Bun.sleep(500)
  }
  await collect()
  const before = rss(panel.pid)

  const readers: ReadableStreamDefaultReader<Uint8Array>[] = []
  let connected = 0
  for (let i = 0; i < PROCESSES; i++) {
    const child = Bun.spawn(
      [
        process.execPath,
        join(import.meta.dir, 'sse-clients.ts'),
        url,
        cookie,
        String(STREAMS / PROCESSES),
        String(2 * INTERVAL_S + 2),
      ],
      { stdout: 'pipe', stderr: 'inherit', env: CLIENT_ENV },
    )
    clients.push(child)
    const first = await firstLine(child.stdout)
    connected += (JSON.parse(first.line) as { connected: number }).connected
    readers.push(first.rest)
  }
  const opened = performance.now()
  await Bun.sleep(HOLD_S * 1000)
  const peak = rss(panel.pid)
  await collect()
  const during = rss(panel.pid)
  const held = (performance.now() - opened) / 1000
  const results: {
    opened: number
    failed: number
    ended: number
    stalled: number
    min: number
    max: number
  }[] = []
  for (const [i, child] of clients.entries()) {
    child.kill('SIGTERM')
    results.push(JSON.parse(await nextLine(readers[i]!)))
  }
  const failed = results.reduce((n, r) => n + r.failed, 0)
  const ended = results.reduce((n, r) => n + r.ended, 0)
  const stalled = results.reduce((n, r) => n + r.stalled, 0)
  const fewest = Math.min(...results.map((r) => r.min))
  const most = Math.max(...results.map((r) => r.max))
  const drops = failed + ended + stalled
  const perStream = (during - before) / connected / 1024
  process.stdout.write(
    `${connected} streams held ${held.toFixed(0)} s: failed ${failed}, ended early ${ended}, stalled ${stalled}; ` +
      `messages per stream ${fewest}–${most} (one sample every ${INTERVAL_S} s); panel RSS ${(before / 1048576).toFixed(1)} MB before, ${(during / 1048576).toFixed(1)} MB with the streams ` +
      `(${(peak / 1048576).toFixed(1)} MB before a garbage collection)\n`,
  )
  report(`SSE streams dropped (${connected} for ${HOLD_S} s)`, drops, 'streams', { atMost: 0 })
  report('memory per SSE stream', Math.round(perStream * 10) / 10, 'KB', { atMost: 25 })
} finally {
  for (const child of clients) child.kill('SIGKILL')
  panel.kill('SIGTERM')
  await panel.exited
}
