/**
 * A real panel process (`bun src/main.ts serve`) for job tests, sharing its database
 * with the test, which opens its own Deps on it to queue jobs and read rows.
 *
 * @example
 *   const shared = await sharedDatabase()
 *   const panel = await startPanelProcess(shared.env)
 *   panel.kill('SIGKILL')
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { closeDeps, openDeps } from '../../src/boot.ts'
import { loadConfig } from '../../src/config.ts'
import type { Deps } from '../../src/deps.ts'
import { memoryLog } from '../../src/lib/log.ts'
import { freshPgDatabase, testPgUrl } from '../helpers.ts'
import { freePort, repoRoot, waitForStatus } from '../process.ts'

const SECRET = 'crash-test-secret-crash-test-secret-0123'

export type SharedDatabase = {
  /** The environment every panel process of the test gets (its data dir added per process). */
  env: Record<string, string>
  /** The test's own view of the database. */
  deps: Deps
  dispose(): Promise<void>
}

/** A database for panel processes and the test: SQLite in a temp dir, or a fresh PostgreSQL one. */
export async function sharedDatabase(): Promise<SharedDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'unipanel-shared-'))
  const pg = testPgUrl ? await freshPgDatabase(testPgUrl) : null
  const env: Record<string, string> = {
    UNIPANEL_SECRET: SECRET,
    UNIPANEL_DATABASE_URL: pg ? pg.url : `sqlite:${join(dir, 'unipanel.db')}`,
  }
  const deps = await openDeps(loadConfig({ ...env, UNIPANEL_DATA_DIR: join(dir, 'test') }), memoryLog())
  return {
    env,
    deps,
    async dispose() {
      await closeDeps(deps)
      await pg?.drop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export type PanelProcess = {
  url: string
  dataDir: string
  child: ReturnType<typeof Bun.spawn>
  output(): string
  stop(): Promise<number>
}

export async function startPanelProcess(
  env: Record<string, string>,
  options: { dataDir?: string; extraEnv?: Record<string, string> } = {},
): Promise<PanelProcess> {
  const port = freePort()
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'unipanel-process-'))
  const url = `http://127.0.0.1:${port}`
  const child = Bun.spawn(
    [process.execPath, join(repoRoot, 'src/main.ts'), 'serve', '--port', String(port)],
    {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/root',
        LANG: 'C.UTF-8',
        ...env,
        UNIPANEL_DATA_DIR: dataDir,
        UNIPANEL_PUBLIC_URL: url,
        ...options.extraEnv,
      },
      stdout: 'pipe',
      stderr: 'pipe',
    },
  )
  let text = ''
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder()
    const reader = stream.getReader()
    for (let read = await reader.read(); !read.done; read = await reader.read())
      text += decoder.decode(read.value)
  }
  void drain(child.stdout as ReadableStream<Uint8Array>)
  void drain(child.stderr as ReadableStream<Uint8Array>)
  try {
    await waitForStatus(`${url}/health/live`, 200, 20_000)
  } catch (err) {
    child.kill('SIGKILL')
    throw new Error(`${(err as Error).message}\n${text}`)
  }
  return {
    url,
    dataDir,
    child,
    output: () => text,
    async stop() {
      child.kill('SIGTERM')
      return child.exited
    },
  }
}
