/**
 * /health/ready follows the database: a panel on PostgreSQL reached through a TCP
 * relay on loopback that the test stops and starts again. It needs a reachable
 * PostgreSQL (UNIPANEL_TEST_DATABASE_URL, else 127.0.0.1:5432), whatever dialect
 * the rest of the run uses; without one it is skipped, or fails when system tests
 * are required.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import type { Socket, TCPSocketListener } from 'bun'
import postgres from 'postgres'
import { createApp } from '../../src/app.ts'
import { freshPgDatabase, PUBLIC_URL, type TestDeps, testDeps, testPgUrl } from '../helpers.ts'

const baseUrl = testPgUrl ?? 'postgres://postgres@127.0.0.1:5432/postgres'

async function reachable(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} })
  try {
    await sql`select 1`
    return true
  } catch {
    return false
  } finally {
    await sql.end({ timeout: 1 })
  }
}

const available = await reachable(baseUrl)
if (!available && process.env.UNIPANEL_REQUIRE_SYSTEM_TESTS === '1') {
  throw new Error(`PostgreSQL at ${new URL(baseUrl).host} is required (UNIPANEL_REQUIRE_SYSTEM_TESTS=1)`)
}

/** A TCP relay from a loopback port to PostgreSQL that can be cut and restored. */
class Relay {
  listener: TCPSocketListener<{ peer?: Socket<unknown>; pending: Uint8Array[] }> | null = null
  readonly open = new Set<Socket<unknown>>()
  port = 0
  constructor(
    readonly targetHost: string,
    readonly targetPort: number,
  ) {}

  start() {
    if (this.listener) return
    const relay = this
    this.listener = Bun.listen<{ peer?: Socket<unknown>; pending: Uint8Array[] }>({
      hostname: '127.0.0.1',
      port: this.port,
      socket: {
        open(client) {
          client.data = { pending: [] }
          relay.open.add(client as Socket<unknown>)
          Bun.connect({
            hostname: relay.targetHost,
            port: relay.targetPort,
            socket: {
              open(server) {
                relay.open.add(server)
                client.data.peer = server
                for (const chunk of client.data.pending) server.write(chunk)
                client.data.pending = []
              },
              data: (_server, chunk) => void client.write(chunk),
              close: () => void client.end(),
              error: () => void client.end(),
            },
          }).catch(() => client.end())
        },
        data(client, chunk) {
          if (client.data.peer) client.data.peer.write(chunk)
          else client.data.pending.push(new Uint8Array(chunk))
        },
        close(client) {
          relay.open.delete(client as Socket<unknown>)
          client.data.peer?.end()
        },
      },
    })
    this.port = this.listener.port
  }

  /** Stops listening and cuts every connection, as a database host going away would. */
  stop() {
    this.listener?.stop(true)
    this.listener = null
    for (const socket of this.open) socket.terminate()
    this.open.clear()
  }
}

let relay: Relay
let database: Awaited<ReturnType<typeof freshPgDatabase>>
let deps: TestDeps
let app: ReturnType<typeof createApp>

beforeAll(async () => {
  if (!available) return
  database = await freshPgDatabase(baseUrl)
  const target = new URL(database.url)
  relay = new Relay(target.hostname, Number(target.port || 5432))
  relay.start()
  target.hostname = '127.0.0.1'
  target.port = String(relay.port)
  deps = await testDeps({ UNIPANEL_DATABASE_URL: target.toString() })
  app = createApp(deps)
})

afterAll(async () => {
  if (!available) return
  relay.start()
  // postgres-js waits out its 5 s end() timeout for a connection that was cut.
  await deps.dispose()
  relay.stop()
  await database.drop()
}, 30_000)

async function ready(): Promise<{
  status: number
  body: { status: string; checks: { database: { ok: boolean } } }
}> {
  const res = await app.request(`${PUBLIC_URL}/health/ready`)
  return { status: res.status, body: await res.json() }
}

/** Asks /health/ready until it answers `status`, for at most `ms`. */
async function readyBecomes(status: number, ms: number) {
  const deadline = Date.now() + ms
  let last = await ready()
  while (last.status !== status && Date.now() < deadline) {
    await Bun.sleep(100)
    last = await ready()
  }
  return last
}

test.skipIf(!available)(
  '/health/ready answers 503 while the database is down and 200 again after',
  async () => {
    const before = await ready()
    expect(before.status).toBe(200)
    expect(before.body.checks.database.ok).toBe(true)

    relay.stop()
    const down = await readyBecomes(503, 5000)
    expect(down.status).toBe(503)
    expect(down.body.status).toBe('unavailable')
    expect(down.body.checks.database.ok).toBe(false)
    const live = await app.request(`${PUBLIC_URL}/health/live`)
    expect(live.status).toBe(200)

    relay.start()
    const back = await readyBecomes(200, 10_000)
    expect(back.status).toBe(200)
    expect(back.body.checks.database.ok).toBe(true)
  },
  30_000,
)
