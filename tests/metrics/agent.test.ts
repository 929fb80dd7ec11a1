/**
 * `unipanel agent` as a real process (`bun src/main.ts agent …`) against a running panel
 * on a loopback port: it pushes this host's numbers, a wrong token stores nothing, and
 * while the panel is away it buffers and later delivers what it sampled.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import { spawnProcess } from '../../src/lib/spawn.ts'
import { type TestPanel, testPanel } from '../helpers.ts'

const ROOT = join(import.meta.dir, '../..')
const HOST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl'

let panel: TestPanel
let adminToken: string
let dir: string
const running: ReturnType<typeof spawnProcess>[] = []

beforeAll(async () => {
  panel = await testPanel()
  adminToken = await panel.token(await panel.createUser('admin'))
  dir = mkdtempSync(join(tmpdir(), 'unipanel-agent-'))
})
afterAll(async () => {
  for (const child of running) child.kill('SIGKILL')
  await panel.dispose()
  rmSync(dir, { recursive: true, force: true })
})

async function newServer(name: string): Promise<{ id: number; token: string }> {
  const created = await panel.api(adminToken, 'POST', '/servers', {
    name,
    host: `${name}.example.com`,
    connection: 'ssh',
    host_key: HOST_KEY,
  })
  const { id } = (await created.json()) as { id: number }
  const issued = await panel.api(adminToken, 'POST', `/servers/${id}/agent-token`)
  return { id, token: ((await issued.json()) as { token: string }).token }
}

function startAgent(args: string[], env: Record<string, string> = {}) {
  const child = spawnProcess([process.execPath, 'src/main.ts', 'agent', ...args], { cwd: ROOT, env })
  running.push(child)
  return child
}

async function stopAgent(child: ReturnType<typeof spawnProcess>): Promise<{ code: number; stderr: string }> {
  child.kill('SIGTERM')
  const [code, stderr] = await Promise.all([child.exited, new Response(child.stderr).text()])
  return { code, stderr }
}

const rawCount = async (serverId: number) => {
  const { db, t } = panel.deps.database
  return (await db.select().from(t.metricSamples).where(eq(t.metricSamples.serverId, serverId))).length
}

async function until<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  ms = 15_000,
): Promise<T> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    const value = await probe()
    if (value) return value
    await Bun.sleep(100)
  }
  throw new Error(`timed out waiting for ${what}`)
}

function listen(port = 0) {
  return Bun.serve({ hostname: '127.0.0.1', port, fetch: panel.app.fetch })
}

describe('unipanel agent', () => {
  test('pushes this host’s real numbers with a token from a file; the server comes online', async () => {
    const server = listen()
    try {
      const { id, token } = await newServer('agent1')
      const file = join(dir, 'agent.token')
      writeFileSync(file, `${token}\n`, { mode: 0o600 })
      const agent = startAgent([
        '--panel',
        `http://127.0.0.1:${server.port}/`,
        '--token-file',
        file,
        '--interval',
        '1',
      ])
      const latest = await until('a first sample', async () => {
        const res = await panel.api(adminToken, 'GET', `/servers/${id}/metrics/latest`)
        return res.status === 200
          ? ((await res.json()) as { memory: { total_bytes: number }; interval_seconds: number })
          : null
      })
      const memTotal = Number(/^MemTotal:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))![1]) * 1024
      expect(latest.memory.total_bytes).toBe(memTotal)
      expect(latest.interval_seconds).toBe(1)
      const info = (await (await panel.api(adminToken, 'GET', `/servers/${id}`)).json()) as { status: string }
      expect(info.status).toBe('online')
      const { code, stderr } = await stopAgent(agent)
      expect(code).toBe(0)
      expect(stderr).toContain('sending to')
      expect(stderr).not.toContain(token)
    } finally {
      server.stop(true)
    }
  })

  test('a wrong token is refused and nothing is stored', async () => {
    const server = listen()
    try {
      const { id } = await newServer('agent2')
      const wrong = `ua_${'A'.repeat(43)}`
      const agent = startAgent(['--panel', `http://127.0.0.1:${server.port}`, '--interval', '1'], {
        UNIPANEL_AGENT_TOKEN: wrong,
      })
      await Bun.sleep(2500)
      const { code, stderr } = await stopAgent(agent)
      expect(code).toBe(0)
      expect(stderr).toContain('refused the token')
      const { db, t } = panel.deps.database
      expect((await db.select().from(t.metricSamples)).filter((r) => r.serverId === id)).toEqual([])
      expect((await panel.api(adminToken, 'GET', `/servers/${id}/metrics/latest`)).status).toBe(404)
    } finally {
      server.stop(true)
    }
  })

  test('buffers while the panel is unreachable and delivers the samples later', async () => {
    const { id, token } = await newServer('agent3')
    const probe = listen()
    const port = probe.port
    probe.stop(true)
    const startedAt = Date.now()
    const agent = startAgent(['--panel', `http://127.0.0.1:${port}`, '--token', token, '--interval', '1'])
    await Bun.sleep(3500)
    expect(await rawCount(id)).toBe(0)
    const panelUpAt = Date.now()
    const server = listen(port)
    try {
      // Backoff is at most a few seconds this early; the buffered samples then arrive together.
      await until('the buffered samples', async () => (await rawCount(id)) >= 4, 20_000)
      const history = (await (
        await panel.api(adminToken, 'GET', `/servers/${id}/metrics?since=10m&step=raw`)
      ).json()) as {
        data: { at: string }[]
      }
      const times = history.data.map((p) => Date.parse(p.at))
      expect(times.filter((at) => at < panelUpAt).length).toBeGreaterThanOrEqual(2)
      expect(Math.min(...times)).toBeGreaterThanOrEqual(startedAt)
      const { code, stderr } = await stopAgent(agent)
      expect(code).toBe(0)
      expect(stderr).toContain('cannot reach the panel')
      expect(stderr).toContain('sending to')
    } finally {
      server.stop(true)
    }
  }, 30_000)

  test('bad usage exits 2 with one line', async () => {
    const child = spawnProcess(
      [process.execPath, 'src/main.ts', 'agent', '--panel', 'ftp://x', '--token', 'ua_x'],
      {
        cwd: ROOT,
      },
    )
    const [code, stderr] = await Promise.all([child.exited, new Response(child.stderr).text()])
    expect(code).toBe(2)
    expect(stderr.trim().split('\n')).toHaveLength(1)
  })
})
