/** The servers, alerts and dashboard pages, driven like a browser with htmx would. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import { ingestFor } from '../../src/areas/metrics/ingest.ts'
import { registerServerDependents } from '../../src/areas/servers/dependents.ts'
import { ensureLocalServer } from '../../src/areas/servers/repository.ts'
import { type Browser, type TestPanel, testPanel } from '../helpers.ts'
import { makeSample } from '../metrics/support.ts'

let panel: TestPanel
let admin: Browser
let localId: number

const HOST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl'
const hx = { 'hx-request': 'true' }

beforeAll(async () => {
  panel = await testPanel()
  admin = await panel.signIn('admin')
  localId = (await ensureLocalServer(panel.deps.database)).id
  ingestFor(panel.deps).accept(localId, [makeSample({ cpu_percent: 37.5 })])
  await ingestFor(panel.deps).flush()
})
afterAll(() => panel.dispose())

async function addServer(name: string, extra: Record<string, string> = {}) {
  return admin.request('POST', '/servers', {
    headers: hx,
    body: {
      name,
      host: `${name}.example.net`,
      port: '22',
      user: 'root',
      tags: 'web, eu',
      notes: '',
      host_key: HOST_KEY,
      connection: 'ssh',
      ...extra,
    },
  })
}

const idOf = async (name: string) => {
  const { db, t } = panel.deps.database
  return (await db.select().from(t.servers)).find((s) => s.name === name)!.id
}

describe('server pages', () => {
  test('the list shows the fleet with status; the add page shows the panel’s key command', async () => {
    const list = await (await admin.get('/servers')).text()
    expect(list).toContain('the panel’s own host')
    expect(list).toContain('badge-online')
    const add = await (await admin.get('/servers/new')).text()
    expect(add).toContain('&gt;&gt; ~/.ssh/authorized_keys')
    expect(add).toContain('ssh-ed25519 ')
  })

  test('adding a server shows its page with the recorded host key fingerprint', async () => {
    const res = await addServer('pages1')
    expect(res.status).toBe(200)
    expect(res.headers.get('hx-push-url')).toMatch(/^\/servers\/\d+$/)
    const html = await res.text()
    expect(html).toContain('ED25519 SHA256:')
    expect(html).toContain('Issue agent token')
    expect(html).toContain('Test connection')
  })

  test('a bad form answers 422 with the message next to the field, keeping what was typed', async () => {
    const res = await addServer('pages2', { host: '-oProxyCommand=x' })
    expect(res.status).toBe(422)
    const html = await res.text()
    expect(html).toContain('must not start with -')
    expect(html).toContain('value="pages2"')
  })

  test('a server page streams live and charts 1 h / 24 h / 7 d / 30 d', async () => {
    const html = await (await admin.get(`/servers/${localId}`)).text()
    expect(html).toContain(`hx-sse:connect="/servers/${localId}/live"`)
    expect(html).toContain('37.5 %')
    expect(html).not.toMatch(/<[^>]+ style=/)
    for (const range of ['1h', '24h', '7d', '30d']) {
      const res = await admin.get(`/servers/${localId}/charts?range=${range}`, hx)
      expect(res.status).toBe(200)
      const charts = await res.text()
      expect(charts).toContain('<svg')
      expect(charts).toContain('aria-current="true"')
      expect(charts).not.toMatch(/ style=/)
    }
  })

  test('edits name and tags', async () => {
    const id = await idOf('pages1')
    const res = await admin.request('POST', `/servers/${id}`, {
      headers: hx,
      body: {
        name: 'pages1b',
        host: 'pages1.example.net',
        port: '22',
        user: 'deploy',
        tags: 'db',
        notes: 'moved',
      },
    })
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('Saved.')
    const api = await panel.api(await panel.token(admin.user!), 'GET', `/servers/${id}`)
    expect(await api.json()).toMatchObject({ name: 'pages1b', user: 'deploy', tags: ['db'], notes: 'moved' })
  })

  test('issuing an agent token shows it once with the agent command', async () => {
    const id = await idOf('pages1b')
    const res = await admin.post(`/servers/${id}/agent-token`, {}, hx)
    const html = await res.text()
    expect(html).toMatch(/ua_[A-Za-z0-9_-]{40,}/)
    expect(html).toContain('--token-file /etc/unipanel/agent.token')
    const again = await (await admin.get(`/servers/${id}`)).text()
    expect(again).not.toMatch(/ua_[A-Za-z0-9_-]{40,}/)
    expect(again).toContain('A token was issued')
  })

  test('deploying the agent issues a new token and starts a job that carries it sealed', async () => {
    const id = await idOf('pages1b')
    const res = await admin.post(`/servers/${id}/deploy-agent`, {}, hx)
    if (!existsSync(join(import.meta.dir, '../../dist/unipanel'))) {
      // Without a compiled binary there is nothing to copy: said plainly, nothing started.
      expect(res.status).toBe(503)
      expect(await res.text()).toContain('bun run compile')
      return
    }
    expect(res.status).toBe(204)
    const jobPath = res.headers.get('hx-redirect')!
    expect(jobPath).toMatch(/^\/jobs\/\d+$/)
    const { db, t } = panel.deps.database
    const [job] = await db
      .select()
      .from(t.jobs)
      .where(eq(t.jobs.id, Number(jobPath.split('/')[2])))
    expect(job).toMatchObject({ kind: 'agent.deploy', serverId: id, playbook: 'agent.yml' })
    expect(JSON.stringify(job)).not.toMatch(/ua_[A-Za-z0-9_-]{40,}/)
  })

  test('delete needs the typed name and is refused, with the list, while websites are on it', async () => {
    const id = await idOf('pages1b')
    const wrong = await admin.post(`/servers/${id}/delete`, { confirm: 'nope' }, hx)
    expect(wrong.status).toBe(422)
    const unregister = registerServerDependents('websites', async (_d, serverId) =>
      serverId === id ? ['shop.example.org'] : [],
    )
    try {
      const refused = await admin.post(`/servers/${id}/delete`, { confirm: 'pages1b' }, hx)
      expect(refused.status).toBe(409)
      expect(await refused.text()).toContain('websites: shop.example.org')
    } finally {
      unregister()
    }
    const done = await admin.post(`/servers/${id}/delete`, { confirm: 'pages1b' }, hx)
    expect(done.status).toBe(200)
    expect(JSON.parse(done.headers.get('hx-location')!)).toEqual({ path: '/servers', target: '#main' })
    expect((await admin.get(`/servers/${id}`)).status).toBe(404)
  })

  test('users and resellers cannot open the servers or alerts area', async () => {
    for (const role of ['user', 'reseller'] as const) {
      const browser = await panel.signIn(role)
      expect((await browser.get('/servers')).status).toBe(403)
      expect((await browser.get(`/servers/${localId}`)).status).toBe(403)
      expect((await browser.get('/alerts')).status).toBe(403)
      const dashboard = await (await browser.get('/')).text()
      expect(dashboard).not.toContain('server-card-')
    }
  })
})

describe('the dashboard', () => {
  test('shows each server’s status card, connected to the live stream', async () => {
    const html = await (await admin.get('/')).text()
    expect(html).toContain('hx-sse:connect="/dashboard/live"')
    expect(html).toContain(`id="server-card-${localId}"`)
    expect(html).toContain('38 %')
  })
})

describe('the alerts page', () => {
  test('adds a webhook channel (secret shown once), a rule, and lists them', async () => {
    const channel = await admin.post(
      '/alerts/channels/webhook',
      { name: 'ops hook', url: 'https://hooks.example.com/x' },
      hx,
    )
    expect(channel.status).toBe(200)
    expect(await channel.text()).toContain('signing secret, shown only now')
    const bad = await admin.post(
      '/alerts/channels/email',
      { name: 'm', to: 'not-mail', from: 'x', host: 'smtp.example.com', port: '587', security: 'starttls' },
      hx,
    )
    expect(bad.status).toBe(422)
    const { db, t } = panel.deps.database
    const [row] = await db.select().from(t.alertChannels)
    const rule = await admin.post(
      '/alerts/rules',
      {
        name: 'hot',
        metric: 'cpu',
        op: '>',
        threshold: '90',
        for_seconds: '60',
        server_id: '',
        tag: 'web',
        channel_id: String(row!.id),
      },
      hx,
    )
    expect(rule.status).toBe(200)
    const html = await rule.text()
    expect(html).toContain('Added the rule hot.')
    expect(html).toContain('servers tagged web')
    expect(html).toContain('CPU &gt; 90 for 60 s')
  })
})
