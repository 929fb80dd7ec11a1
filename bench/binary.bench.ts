/**
 * The compiled binary (dist/unipanel, rebuilt first): time from spawn to the first
 * 200 of /health/live, median of 10 starts on an already migrated SQLite data dir,
 * and the resident memory of the idle server. Loopback only; every start is stopped.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildBinary, freePort, repoRoot, waitForStatus } from '../tests/process.ts'
import { median, report } from './report.ts'

const STARTS = 10
const binary = buildBinary(join(repoRoot, 'dist/unipanel'))
const dataDir = mkdtempSync(join(tmpdir(), 'unipanel-bench-'))
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', UNIPANEL_DATA_DIR: dataDir }

/** Starts the server and answers once /health/live says 200, with the elapsed milliseconds. */
async function start() {
  const port = freePort()
  const url = `http://127.0.0.1:${port}/health/live`
  const started = performance.now()
  const child = Bun.spawn([binary, 'serve', '--port', String(port)], {
    cwd: dataDir,
    env,
    stdout: 'ignore',
    stderr: 'ignore',
  })
  const deadline = started + 10_000
  for (;;) {
    const res = await fetch(url).catch(() => null)
    if (res?.status === 200) break
    if (performance.now() > deadline) {
      child.kill()
      throw new Error(`no 200 from ${url} within 10 s`)
    }
    await Bun.sleep(1)
  }
  return { child, ms: performance.now() - started, url }
}

async function stop(child: ReturnType<typeof Bun.spawn>) {
  child.kill('SIGTERM')
  await child.exited
}

try {
  // The first start creates the database, the secret and the extracted folders; it is not counted.
  await stop((await start()).child)

  const times: number[] = []
  for (let i = 0; i < STARTS; i++) {
    const { child, ms } = await start()
    times.push(ms)
    await stop(child)
  }
  report('binary time to first 200', median(times), 'ms', { atMost: 100 })

  const { child, url } = await start()
  await waitForStatus(url.replace('/live', '/ready'))
  await Bun.sleep(1000)
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8')
  const rssKb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN)
  await stop(child)
  report('binary idle RSS', Math.round(rssKb / 102.4) / 10, 'MB', { atMost: 60 })
} finally {
  rmSync(dataDir, { recursive: true, force: true })
}
