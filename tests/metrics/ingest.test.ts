import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { ingestFor, metricsTopic } from '../../src/areas/metrics/ingest.ts'
import { checkFleet } from '../../src/areas/metrics/service.ts'
import { type TestPanel, testPanel } from '../helpers.ts'
import { makeSample, pushSamples } from './support.ts'

let panel: TestPanel
let adminToken: string
let serverId: number
let agentToken: string

const HOST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl'

beforeAll(async () => {
  panel = await testPanel()
  adminToken = await panel.token(await panel.createUser('admin'))
  const res = await panel.api(adminToken, 'POST', '/servers', {
    name: 'edge1',
    host: 'edge1.example.com',
    connection: 'ssh',
    host_key: HOST_KEY,
  })
  serverId = ((await res.json()) as { id: number }).id
  const issued = await panel.api(adminToken, 'POST', `/servers/${serverId}/agent-token`)
  expect(issued.status).toBe(201)
  agentToken = ((await issued.json()) as { token: string }).token
})
afterAll(() => panel.dispose())

const rawRows = async () => {
  const { db, t } = panel.deps.database
  return db.select().from(t.metricSamples)
}

describe('the ingest endpoint', () => {
  test('a wrong, malformed or user API token gets 401 and nothing is stored', async () => {
    for (const token of [`ua_${'x'.repeat(43)}`, 'nonsense', adminToken]) {
      const res = await pushSamples(panel.app, token, [makeSample()])
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toBe('Bearer')
    }
    const none = await panel.app.request('http://panel.test/api/v1/agent/samples', {
      method: 'POST',
      body: '{}',
    })
    expect(none.status).toBe(401)
    await ingestFor(panel.deps).flush()
    expect(await rawRows()).toEqual([])
    expect((await panel.api(adminToken, 'GET', `/servers/${serverId}/metrics/latest`)).status).toBe(404)
  })

  test('stores what the server’s agent sends, once, and shows it live, as latest and in history', async () => {
    const heard: unknown[] = []
    const stop = panel.deps.events.subscribe(metricsTopic(serverId), (p) => heard.push(p))
    const sample = makeSample({ cpu_percent: 42.5 })
    const res = await pushSamples(panel.app, agentToken, [sample])
    expect(res.status).toBe(202)
    expect(await res.json()).toEqual({ accepted: 1, dropped: 0 })
    expect(heard).toEqual([{ server_id: serverId, sample }])
    stop()
    // The agent resends after a timeout: stored once.
    expect((await pushSamples(panel.app, agentToken, [sample])).status).toBe(202)
    await ingestFor(panel.deps).flush()
    expect((await rawRows()).length).toBe(1)

    const latest = await panel.api(adminToken, 'GET', `/servers/${serverId}/metrics/latest`)
    expect(latest.status).toBe(200)
    expect(await latest.json()).toEqual({ server_id: serverId, ...sample })

    const history = (await (
      await panel.api(adminToken, 'GET', `/servers/${serverId}/metrics?since=10m`)
    ).json()) as {
      step: string
      data: { cpu: number; at: string }[]
      total: number
    }
    expect(history.step).toBe('raw')
    expect(history.total).toBe(1)
    expect(history.data[0]!.cpu).toBe(42.5)
    expect(history.data[0]!.at).toBe(sample.at)

    const server = (await (await panel.api(adminToken, 'GET', `/servers/${serverId}`)).json()) as {
      status: string
      last_seen_at: string | null
    }
    expect(server.status).toBe('online')
    expect(server.last_seen_at).not.toBeNull()
  })

  test('refuses malformed samples and a clock in the future; drops what is too old to keep', async () => {
    const bad = await pushSamples(panel.app, agentToken, [{ ...makeSample(), cpu_percent: 140 }])
    expect(bad.status).toBe(422)
    const extra = await pushSamples(panel.app, agentToken, [{ ...makeSample(), root: true }])
    expect(extra.status).toBe(422)
    const future = await pushSamples(panel.app, agentToken, [
      makeSample({}, new Date(Date.now() + 3_600_000)),
    ])
    expect(future.status).toBe(422)
    const old = await pushSamples(panel.app, agentToken, [
      makeSample({}, new Date(Date.now() - 30 * 86_400_000)),
    ])
    expect(await old.json()).toEqual({ accepted: 0, dropped: 1 })
  })

  test('a new token replaces the old one', async () => {
    const issued = await panel.api(adminToken, 'POST', `/servers/${serverId}/agent-token`)
    const fresh = ((await issued.json()) as { token: string }).token
    expect((await pushSamples(panel.app, agentToken, [makeSample()])).status).toBe(401)
    expect((await pushSamples(panel.app, fresh, [makeSample()])).status).toBe(202)
    agentToken = fresh
  })

  test('a server that goes silent is marked offline; a sample brings it back', async () => {
    const wentOffline = await checkFleet(panel.deps, Date.now() + 60_000)
    expect(wentOffline).toContain('edge1')
    const server = async () =>
      ((await (await panel.api(adminToken, 'GET', `/servers/${serverId}`)).json()) as { status: string })
        .status
    expect(await server()).toBe('offline')
    expect((await pushSamples(panel.app, agentToken, [makeSample()])).status).toBe(202)
    await ingestFor(panel.deps).flush()
    expect(await server()).toBe('online')
  })
})
