/** Alert rules over time: pending for for_seconds, firing, hysteresis, resolution, offline, tags. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { alertEngine, evaluateSample } from '../../src/areas/alerts/engine.ts'
import { maskPrivate } from '../../src/areas/alerts/mask.ts'
import { ingestFor } from '../../src/areas/metrics/ingest.ts'
import { checkFleet } from '../../src/areas/metrics/service.ts'
import { type TestPanel, testPanel } from '../helpers.ts'
import { makeSample } from '../metrics/support.ts'

let panel: TestPanel
let token: string
let channelId: number
const hits: { state: string; rule_name: string; server_id: number; value: number }[] = []
const hook = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  async fetch(req) {
    hits.push(await req.json())
    return new Response('ok')
  },
})

const HOST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl'

beforeAll(async () => {
  panel = await testPanel({ UNIPANEL_OUTBOUND_ALLOW: '127.0.0.1/32' })
  token = await panel.token(await panel.createUser('admin'))
  const channel = await panel.api(token, 'POST', '/alerts/channels', {
    name: 'hook',
    kind: 'webhook',
    config: { url: `http://127.0.0.1:${hook.port}/` },
  })
  channelId = ((await channel.json()) as { id: number }).id
})
afterAll(async () => {
  hook.stop(true)
  await panel.dispose()
})

async function server(name: string, tags: string[] = []) {
  const res = await panel.api(token, 'POST', '/servers', {
    name,
    host: `${name}.example.net`,
    connection: 'ssh',
    tags,
    host_key: HOST_KEY,
  })
  return ((await res.json()) as { id: number }).id
}

async function rule(body: Record<string, unknown>) {
  const res = await panel.api(token, 'POST', '/alerts/rules', { channel_id: channelId, ...body })
  expect(res.status).toBe(201)
  await alertEngine(panel.deps).idle()
  return ((await res.json()) as { id: number }).id
}

const settle = () => alertEngine(panel.deps).idle()

describe('the alert engine', () => {
  test('waits out for_seconds, fires once, holds within the hysteresis, then resolves', async () => {
    const id = await server('busy')
    await rule({
      name: 'cpu high',
      metric: 'cpu',
      op: '>',
      threshold: 80,
      for_seconds: 10,
      hysteresis: 5,
      server_id: id,
    })
    const t0 = Date.now()
    const cpu = (value: number, seconds: number) => {
      evaluateSample(panel.deps, id, makeSample({ cpu_percent: value }), t0 + seconds * 1000)
      return settle()
    }
    await cpu(90, 0)
    await cpu(91, 5)
    expect(hits.filter((h) => h.rule_name === 'cpu high')).toEqual([])
    await cpu(92, 11)
    await cpu(95, 15)
    expect(hits.filter((h) => h.rule_name === 'cpu high').map((h) => h.state)).toEqual(['firing'])
    // Back under 80 but within the 5-point hysteresis: still firing.
    await cpu(78, 20)
    expect(hits.filter((h) => h.rule_name === 'cpu high').map((h) => h.state)).toEqual(['firing'])
    await cpu(70, 25)
    await cpu(60, 30)
    expect(hits.filter((h) => h.rule_name === 'cpu high').map((h) => [h.state, h.value])).toEqual([
      ['firing', 92],
      ['resolved', 70],
    ])
  })

  test('a breach shorter than for_seconds never fires', async () => {
    const id = await server('blip')
    await rule({ name: 'blip rule', metric: 'load1', op: '>=', threshold: 4, for_seconds: 60, server_id: id })
    const t0 = Date.now()
    evaluateSample(panel.deps, id, makeSample({ load: [9, 1, 1] }), t0)
    evaluateSample(panel.deps, id, makeSample({ load: [9, 1, 1] }), t0 + 30_000)
    evaluateSample(panel.deps, id, makeSample({ load: [1, 1, 1] }), t0 + 40_000)
    evaluateSample(panel.deps, id, makeSample({ load: [9, 1, 1] }), t0 + 70_000)
    await settle()
    expect(hits.filter((h) => h.rule_name === 'blip rule')).toEqual([])
    const { db, t } = panel.deps.database
    const states = (await db.select().from(t.alertStates)).filter((s) => s.serverId === id)
    expect(states.map((s) => s.state)).toEqual(['pending'])
  })

  test('a tag rule watches only the servers with that tag', async () => {
    const tagged = await server('tagged', ['db'])
    const other = await server('untagged')
    await rule({ name: 'db disk', metric: 'disk', op: '>', threshold: 90, tag: 'db' })
    const full = makeSample({
      mounts: [{ mount: '/', fs_type: 'ext4', total_bytes: 10, used_bytes: 9.5, percent: 95 }],
    })
    evaluateSample(panel.deps, tagged, full, Date.now())
    evaluateSample(panel.deps, other, full, Date.now())
    await settle()
    expect(hits.filter((h) => h.rule_name === 'db disk').map((h) => h.server_id)).toEqual([tagged])
  })

  test('an offline rule fires after N missed intervals and resolves with the next sample', async () => {
    const id = await server('quiet')
    await rule({ name: 'gone', metric: 'offline', threshold: 3, server_id: id })
    const start = Date.now() - 60_000
    ingestFor(panel.deps).accept(id, [makeSample({ interval_seconds: 5 }, new Date(start))])
    await ingestFor(panel.deps).flush()
    await settle()
    await checkFleet(panel.deps, start + 10_000)
    await settle()
    expect(hits.filter((h) => h.rule_name === 'gone')).toEqual([])
    await checkFleet(panel.deps, start + 16_000)
    await settle()
    expect(hits.filter((h) => h.rule_name === 'gone').map((h) => h.state)).toEqual(['firing'])
    ingestFor(panel.deps).accept(id, [makeSample()])
    await settle()
    expect(hits.filter((h) => h.rule_name === 'gone').map((h) => h.state)).toEqual(['firing', 'resolved'])
  })

  test('rule input is checked', async () => {
    const bad = async (body: Record<string, unknown>) =>
      (await panel.api(token, 'POST', '/alerts/rules', { channel_id: channelId, ...body })).status
    expect(await bad({ metric: 'bogus', threshold: 1 })).toBe(422)
    expect(await bad({ metric: 'cpu', op: '!=', threshold: 1 })).toBe(422)
    expect(await bad({ metric: 'cpu', threshold: 1, server_id: 999999 })).toBe(422)
    expect(await bad({ metric: 'cpu', threshold: 1, server_id: 1, tag: 'web' })).toBe(422)
    expect(await bad({ metric: 'offline', threshold: 0 })).toBe(422)
    expect(await bad({ metric: 'cpu', threshold: 1, channel_id: 999999 })).toBe(422)
  })
})

describe('masking', () => {
  test('hides addresses and masks domains, leaving times and numbers', () => {
    expect(maskPrivate('web1.example.com (203.0.113.9, 2001:db8::1) at 12:30:45, CPU 97.5 %')).toBe(
      'we**.ex*****.com ([address hidden], [address hidden]) at 12:30:45, CPU 97.5 %',
    )
    expect(maskPrivate('example.com')).toBe('ex*****.com')
  })
})
