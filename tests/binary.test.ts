/**
 * The single binary: built by scripts/compile.ts, copied alone into an empty
 * directory and run from there, with no checkout beside it. On PostgreSQL runs
 * (UNIPANEL_TEST_DATABASE_URL) it migrates and serves a fresh database of its own.
 */
import { Database } from 'bun:sqlite'
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { is } from 'drizzle-orm'
import { getTableConfig, SQLiteTable } from 'drizzle-orm/sqlite-core'
import postgres from 'postgres'
import pkg from '../package.json' with { type: 'json' }
import * as sqliteSchema from '../src/db/schema/sqlite/index.ts'
import { freshPgDatabase, hasTool, testPgUrl } from './helpers.ts'
import { buildBinary, freePort, repoRoot, waitForStatus } from './process.ts'

const tmp = mkdtempSync(join(tmpdir(), 'unipanel-binary-'))
const empty = join(tmp, 'empty')
const binary = join(empty, 'unipanel')
const dataDir = join(empty, 'data')
let pg: Awaited<ReturnType<typeof freshPgDatabase>> | null = null
let env: Record<string, string>

const schemaTables = Object.values(sqliteSchema)
  .filter((v) => is(v, SQLiteTable))
  .map((t) => getTableConfig(t as SQLiteTable).name)
  .sort()

beforeAll(async () => {
  buildBinary(join(tmp, 'build', 'unipanel'))
  mkdirSync(empty)
  copyFileSync(join(tmp, 'build', 'unipanel'), binary)
  chmodSync(binary, 0o755)
  pg = testPgUrl ? await freshPgDatabase(testPgUrl) : null
  env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: tmp,
    UNIPANEL_DATA_DIR: dataDir,
    ...(pg ? { UNIPANEL_DATABASE_URL: pg.url } : {}),
  }
}, 120_000)

afterAll(async () => {
  await pg?.drop()
  rmSync(tmp, { recursive: true, force: true })
})

const run = (args: string[]) => {
  const child = Bun.spawnSync([binary, ...args], { cwd: empty, env, stdout: 'pipe', stderr: 'pipe' })
  return { code: child.exitCode, stdout: child.stdout.toString(), stderr: child.stderr.toString() }
}

async function tablesInDatabase(): Promise<string[]> {
  if (pg) {
    const sql = postgres(pg.url, { max: 1, onnotice: () => {} })
    const rows = await sql<{ table_name: string }[]>`
      select table_name from information_schema.tables where table_schema = 'public'`
    await sql.end()
    return rows.map((r) => r.table_name)
  }
  const db = new Database(join(dataDir, 'unipanel.db'), { readonly: true })
  const rows = db.query("select name from sqlite_master where type = 'table'").all() as { name: string }[]
  db.close()
  return rows.map((r) => r.name)
}

describe('the compiled binary, alone in an empty directory', () => {
  test('prints its version', () => {
    const result = run(['--version'])
    expect(result.code).toBe(0)
    expect(result.stdout.trim()).toBe(`unipanel ${pkg.version}`)
  })

  test('migrate applies the embedded migrations', async () => {
    const result = run(['migrate'])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(`migrations applied (${pg ? 'pg' : 'sqlite'})`)
    const tables = await tablesInDatabase()
    expect(tables).toEqual(expect.arrayContaining(schemaTables))
    expect(schemaTables).toEqual(
      expect.arrayContaining(['users', 'sessions', 'servers', 'jobs', 'audit_log']),
    )
    // A second run finds nothing left to apply.
    expect(run(['migrate']).code).toBe(0)
  })

  test('serve answers health, pages and every embedded static file, then stops on SIGTERM', async () => {
    const port = freePort()
    const child = Bun.spawn([binary, 'serve', '--port', String(port)], {
      cwd: empty,
      env,
      stdout: 'pipe',
      stderr: 'pipe',
    })
    try {
      const base = `http://127.0.0.1:${port}`
      await waitForStatus(`${base}/health/live`)
      const ready = await fetch(`${base}/health/ready`)
      expect(ready.status).toBe(200)
      expect(((await ready.json()) as { status: string }).status).toBe('ok')

      const css = await fetch(`${base}/static/app.css`)
      expect(css.status).toBe(200)
      expect(css.headers.get('content-type')).toContain('text/css')
      expect(await css.text()).toBe(readFileSync(join(repoRoot, 'static/app.css'), 'utf8'))

      const login = await fetch(`${base}/login`)
      expect(login.status).toBe(200)
      const assets = [...(await login.text()).matchAll(/(?:href|src)="(\/static\/[^"]+)"/g)].map((m) => m[1]!)
      expect(assets.length).toBeGreaterThanOrEqual(3)
      for (const asset of assets) {
        expect(asset).not.toContain('v=missing')
        const res = await fetch(`${base}${asset}`)
        expect(`${asset} ${res.status}`).toBe(`${asset} 200`)
        expect(res.headers.get('cache-control')).toContain('immutable')
        await res.arrayBuffer()
      }
    } finally {
      child.kill('SIGTERM')
    }
    expect(await child.exited).toBe(0)
    const stdout = await new Response(child.stdout).text()
    expect(stdout).toContain('/setup?token=')
  }, 30_000)

  test('a playbook runs from the ansible/ folder extracted into the data dir', () => {
    const runtime = join(dataDir, 'runtime')
    const folders = readdirSync(runtime).filter((d) => d.startsWith('ansible-'))
    expect(folders).toHaveLength(1)
    const playbooks = join(runtime, folders[0]!)
    expect(readFileSync(join(playbooks, 'ping.yml'), 'utf8')).toBe(
      readFileSync(join(repoRoot, 'ansible/ping.yml'), 'utf8'),
    )
    if (!hasTool('ansible-playbook')) return
    const play = Bun.spawnSync(['ansible-playbook', '-i', 'localhost,', '-c', 'local', 'ping.yml'], {
      cwd: playbooks,
      env: { ...env, ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCAL_TEMP: join(tmp, 'ansible-tmp') },
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const output = play.stdout.toString()
    expect(`${play.exitCode}\n${output}${play.stderr.toString()}`).toStartWith('0\n')
    expect(output).toMatch(/localhost\s+: ok=1 .*failed=0/)
  }, 60_000)
})
