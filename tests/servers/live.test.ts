/**
 * The live views over SSE, against a real Bun.serve on a loopback port: refused without
 * a session, one shared feed per server, only the servers a viewer may see, and no
 * subscription or memory left behind after 1,000 connections come and go.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { ingestFor } from '../../src/areas/metrics/ingest.ts'
import { registerServerHosting } from '../../src/areas/servers/dependents.ts'
import { ensureLocalServer } from '../../src/areas/servers/repository.ts'
import { type Browser, type TestPanel, testPanel } from '../helpers.ts'
import { makeSample } from '../metrics/support.ts'

let panel: TestPanel
let server: ReturnType<typeof Bun.serve>
let base: string
let admin: Browser
let localId: number

const HOST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl'

beforeAll(async () => {
  panel = await testPanel()
  server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: panel.app.fetch, idleTimeout: 30 })
  base = `http://127.0.0.1:${server.port}`
  admin = await panel.signIn('admin')
  localId = (await ensureLocalServer(panel.deps.database)).id
})
afterAll(async () => {
  server.stop(true)
  await panel.dispose()
})

/** An SSE connection that collects messages (data lines joined) until aborted. */
function connect(path: string, cookie: string) {
  const controller = new AbortController()
  const messages: string[] = []
  let status = 0
  let contentType = ''
  const done = (async () => {
    const res = await fetch(`${base}${path}`, {
      headers: { cookie, accept: 'text/event-stream' },
      signal: controller.signal,
      redirect: 'manual',
    })
    status = res.status
    contentType = res.headers.get('content-type') ?? ''
    if (!res.body || !contentType.includes('text/event-stream')) return
    const reader = res.body.getReader()
    const decoder = new TextDecoder()
    let buffer = ''
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      buffer += decoder.decode(value, { stream: true })
      let end = buffer.indexOf('\n\n')
      while (end >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const data = block
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).replace(/^ /, ''))
        if (data.length) messages.push(data.join('\n'))
        end = buffer.indexOf('\n\n')
      }
    }
  })().catch(() => {})
  return {
    messages,
    get status() {
      return status
    },
    get contentType() {
      return contentType
    },
    async waitFor(test: (m: string) => boolean, ms = 5000) {
      const deadline = Date.now() + ms
      while (Date.now() < deadline) {
        const found = messages.find(test)
        if (found !== undefined) return found
        await Bun.sleep(10)
      }
      throw new Error(`no matching message on ${path} (got ${messages.length})`)
    },
    close() {
      controller.abort()
      return done
    },
  }
}

async function addServer(name: string) {
  const res = await admin.request('POST', '/servers', {
    body: {
      name,
      host: `${name}.example.net`,
      port: '22',
      user: 'root',
      tags: '',
      notes: '',
      host_key: HOST_KEY,
      connection: 'ssh',
    },
  })
  expect(res.status).toBe(200)
  const { db, t } = panel.deps.database
  const rows = await db.select().from(t.servers)
  return rows.find((r) => r.name === name)!.id
}

describe('live views over SSE', () => {
  test('are refused without a session', async () => {
    for (const path of ['/dashboard/live', `/servers/${localId}/live`]) {
      const res = await fetch(`${base}${path}`, { redirect: 'manual' })
      expect(res.status).toBe(302)
      expect(res.headers.get('content-type') ?? '').not.toContain('text/event-stream')
      await res.body?.cancel()
    }
  })

  test('a server’s page streams its live block, then every new sample', async () => {
    const stream = connect(`/servers/${localId}/live`, admin.cookie)
    try {
      await stream.waitFor(() => true)
      expect(stream.contentType).toContain('text/event-stream')
      ingestFor(panel.deps).accept(localId, [makeSample({ cpu_percent: 63.2 })])
      const update = await stream.waitFor((m) => m.includes('63.2 %'))
      expect(update).toContain('CPU, last 10 minutes')
      expect(update).not.toContain('<script')
    } finally {
      await stream.close()
    }
  })

  test('the dashboard sends only the cards of servers the viewer may see', async () => {
    const mine = await addServer('tenant-host')
    const other = await addServer('other-host')
    const user = await panel.signIn('user')
    const unregister = registerServerHosting('test-sites', async (_deps, ownerIds) =>
      ownerIds.includes(user.user!.id) ? [mine] : [],
    )
    try {
      // The servers area itself stays an admin's.
      const denied = await fetch(`${base}/servers/${mine}/live`, { headers: { cookie: user.cookie } })
      expect(denied.status).toBe(403)
      await denied.body?.cancel()

      const page = await (await fetch(`${base}/`, { headers: { cookie: user.cookie } })).text()
      expect(page).toContain(`id="server-card-${mine}"`)
      expect(page).not.toContain(`id="server-card-${other}"`)
      expect(page).not.toContain('other-host')

      const viewer = connect('/dashboard/live', user.cookie)
      const watcher = connect('/dashboard/live', admin.cookie)
      await Bun.sleep(200)
      ingestFor(panel.deps).accept(other, [makeSample({ cpu_percent: 11 })])
      ingestFor(panel.deps).accept(mine, [makeSample({ cpu_percent: 22 })])
      const seen = await viewer.waitFor((m) => m.includes(`#server-card-${mine}`))
      expect(seen).toContain('tenant-host')
      await watcher.waitFor((m) => m.includes(`#server-card-${other}`))
      await Bun.sleep(1200)
      expect(viewer.messages.join('')).not.toContain(`server-card-${other}`)
      expect(viewer.messages.join('')).not.toContain('other-host')
      await viewer.close()
      await watcher.close()
    } finally {
      unregister()
    }
  })

  test('leaves no subscription and no memory behind after 1,000 connections', async () => {
    const events = panel.deps.events
    const settle = async (expected: number) => {
      const deadline = Date.now() + 5000
      while (Date.now() < deadline && events.listenerCount() !== expected) await Bun.sleep(20)
      return events.listenerCount()
    }
    // The baseline: nobody watching (the earlier tests' streams have ended).
    await Bun.sleep(500)
    const baseline = events.listenerCount()
    for (let i = 0; i < 50; i++) {
      const s = connect(`/servers/${localId}/live`, admin.cookie)
      await s.waitFor(() => true)
      await s.close()
    }
    expect(await settle(baseline)).toBe(baseline)
    await Bun.sleep(200)
    Bun.gc(true)
    const heapBefore = process.memoryUsage().heapUsed

    for (let i = 0; i < 1000; i += 10) {
      const batch = Array.from({ length: 10 }, (_, j) =>
        connect((i + j) % 2 ? '/dashboard/live' : `/servers/${localId}/live`, admin.cookie),
      )
      await Promise.all(batch.map((s, j) => ((i + j) % 2 ? Bun.sleep(20) : s.waitFor(() => true))))
      expect(events.listenerCount()).toBeGreaterThan(baseline)
      await Promise.all(batch.map((s) => s.close()))
    }

    expect(await settle(baseline)).toBe(baseline)
    await Bun.sleep(200)
    Bun.gc(true)
    const grown = process.memoryUsage().heapUsed - heapBefore
    expect(grown).toBeLessThan(8 * 1024 * 1024)
  }, 60_000)
})
