/**
 * Support for tests and benchmarks that run the panel as a real process: a free
 * loopback port, waiting for an HTTP answer, and building the compiled binary.
 *
 * @example
 *   const binary = buildBinary(join(tmp, 'unipanel'))
 *   const port = freePort()
 *   const child = Bun.spawn([binary, 'serve', '--port', String(port)], { env })
 *   await waitForStatus(`http://127.0.0.1:${port}/health/live`, 200)
 */
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'

export const repoRoot = resolve(import.meta.dir, '..')

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): number {
  const listener = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const { port } = listener
  listener.stop(true)
  return port
}

/** Polls `url` until it answers `status`; throws after `timeoutMs`. */
export async function waitForStatus(url: string, status = 200, timeoutMs = 15_000): Promise<Response> {
  const deadline = Date.now() + timeoutMs
  let last = 'no answer'
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) })
      if (res.status === status) return res
      last = `status ${res.status}`
      await res.body?.cancel()
    } catch (err) {
      last = (err as Error).message
    }
    await Bun.sleep(20)
  }
  throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms (${last})`)
}

/** Builds the assets when missing, then the binary at `outfile`; returns its path. */
export function buildBinary(outfile: string): string {
  const bun = process.execPath
  if (!existsSync(join(repoRoot, 'static/app.css')) || !existsSync(join(repoRoot, 'static/vendor'))) {
    const assets = Bun.spawnSync([bun, 'scripts/assets.ts'], { cwd: repoRoot, stderr: 'pipe' })
    if (assets.exitCode !== 0) throw new Error(`bun run assets failed: ${assets.stderr.toString()}`)
  }
  const build = Bun.spawnSync([bun, 'scripts/compile.ts', '--outfile', outfile], {
    cwd: repoRoot,
    stdout: 'pipe',
    stderr: 'pipe',
  })
  if (build.exitCode !== 0) {
    throw new Error(`compile failed (exit ${build.exitCode}): ${build.stderr.toString().trim()}`)
  }
  return outfile
}
