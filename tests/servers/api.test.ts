import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { registerServerDependents } from '../../src/areas/servers/dependents.ts'
import type { User } from '../../src/areas/users/repository.ts'
import { observeSpawns } from '../../src/lib/spawn.ts'
import { type TestPanel, testPanel } from '../helpers.ts'
import { makeSample } from '../metrics/support.ts'

let panel: TestPanel
let admin: User
let adminToken: string
let userToken: string
let resellerToken: string

const HOST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl'

beforeAll(async () => {
  panel = await testPanel()
  admin = await panel.createUser('admin')
  adminToken = await panel.token(admin)
  userToken = await panel.token(await panel.createUser('user'))
  resellerToken = await panel.token(await panel.createUser('reseller'))
})
afterAll(() => panel.dispose())

const json = async (res: Response) => ({
  status: res.status,
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers, checked by the expectations
  body: (await res.json()) as Record<string, any>,
})

describe('the servers API', () => {
  test('lists the panel’s own host first, as {data,total}', async () => {
    const { status, body } = await json(await panel.api(adminToken, 'GET', '/servers'))
    expect(status).toBe(200)
    expect(body.total).toBeGreaterThanOrEqual(1)
    expect(body.data[0].connection).toBe('local')
    expect(body.data[0]).toMatchObject({ status: expect.any(String), tags: [], facts: expect.any(Object) })
  })

  test('is an admin capability: users and resellers get 403', async () => {
    for (const token of [userToken, resellerToken]) {
      expect((await panel.api(token, 'GET', '/servers')).status).toBe(403)
      expect((await panel.api(token, 'GET', '/servers/ssh-key')).status).toBe(403)
      expect(
        (await panel.api(token, 'POST', '/servers', { name: 'x', host: 'x.example.com', connection: 'ssh' }))
          .status,
      ).toBe(403)
      // A server's metrics: not visible to them, so not confirmed to exist.
      expect((await panel.api(token, 'GET', '/servers/1/metrics/latest')).status).toBe(404)
      expect((await panel.api(token, 'GET', '/servers/1/metrics')).status).toBe(404)
    }
  })

  test('shows the panel’s public key with a one-line authorized_keys command', async () => {
    const { status, body } = await json(await panel.api(adminToken, 'GET', '/servers/ssh-key'))
    expect(status).toBe(200)
    expect(body.public_key).toStartWith('ssh-ed25519 ')
    expect(body.authorized_keys_command).toContain(body.public_key)
    expect(body.authorized_keys_command).toContain('>> ~/.ssh/authorized_keys')
  })

  test('adds an ssh server with a pasted host key and shows its fingerprint', async () => {
    const { status, body } = await json(
      await panel.api(adminToken, 'POST', '/servers', {
        name: 'web1',
        host: 'web1.example.com',
        connection: 'ssh',
        tags: ['web', 'eu'],
        host_key: `web1.example.com ${HOST_KEY}\n`,
      }),
    )
    expect(status).toBe(201)
    expect(body).toMatchObject({ name: 'web1', port: 22, user: 'root', connection: 'ssh', status: 'unknown' })
    expect(body.host_key).toBe(HOST_KEY)
    expect(body.host_key_fingerprints[0]).toMatch(/^ED25519 SHA256:[A-Za-z0-9+/]{43}$/)
    expect((await panel.api(adminToken, 'GET', `/servers/${body.id}`)).status).toBe(200)
    const again = await json(
      await panel.api(adminToken, 'POST', '/servers', {
        name: 'web1',
        host: 'h.example.com',
        connection: 'ssh',
        host_key: HOST_KEY,
      }),
    )
    expect(again.status).toBe(409)
  })

  test('refuses hostile hosts before anything runs, and a second local server', async () => {
    const spawned: string[][] = []
    const stop = observeSpawns((argv) => spawned.push([...argv]))
    try {
      for (const host of ['-oProxyCommand=touch /tmp/pwned', 'a b', 'x;id', '$(id)', 'host\nname']) {
        const res = await json(
          await panel.api(adminToken, 'POST', '/servers', { name: 'evil', host, connection: 'ssh' }),
        )
        expect(res.status).toBe(422)
        expect(res.body.error.fields.host).toBeDefined()
      }
      const local = await json(
        await panel.api(adminToken, 'POST', '/servers', {
          name: 'two',
          host: '127.0.0.1',
          connection: 'local',
        }),
      )
      expect(local.status).toBe(409)
      const smuggled = await json(
        await panel.api(adminToken, 'POST', '/servers', {
          name: 's',
          host: 's.example.com',
          connection: 'ssh',
          status: 'online',
        }),
      )
      expect(smuggled.status).toBe(422)
    } finally {
      stop()
    }
    expect(spawned).toEqual([])
    const { body } = await json(await panel.api(adminToken, 'GET', '/servers?q=evil'))
    expect(body.total).toBe(0)
  })

  test('changes name, tags and notes; searches by tag', async () => {
    const { body: created } = await json(
      await panel.api(adminToken, 'POST', '/servers', {
        name: 'db1',
        host: '192.0.2.10',
        connection: 'ssh',
        host_key: HOST_KEY,
      }),
    )
    const { status, body } = await json(
      await panel.api(adminToken, 'PATCH', `/servers/${created.id}`, { tags: ['db'], notes: 'primary' }),
    )
    expect(status).toBe(200)
    expect(body).toMatchObject({ tags: ['db'], notes: 'primary', host_key: HOST_KEY })
    const found = await json(await panel.api(adminToken, 'GET', '/servers?q=db'))
    expect(found.body.data.map((s: { name: string }) => s.name)).toContain('db1')
  })
})

describe('deleting a server', () => {
  test('the panel’s own host cannot be deleted', async () => {
    const { body } = await json(await panel.api(adminToken, 'GET', '/servers'))
    const local = body.data.find((s: { connection: string }) => s.connection === 'local')
    const res = await json(await panel.api(adminToken, 'DELETE', `/servers/${local.id}`))
    expect(res.status).toBe(409)
  })

  test('is refused while something lives on it, with the list; allowed once it is gone', async () => {
    const { body: server } = await json(
      await panel.api(adminToken, 'POST', '/servers', {
        name: 'old1',
        host: 'old1.example.com',
        connection: 'ssh',
        host_key: HOST_KEY,
      }),
    )
    let sites = ['shop.example.com', 'blog.example.com']
    const unregister = registerServerDependents('websites', async (_deps, serverId) =>
      serverId === server.id ? sites : [],
    )
    try {
      const refused = await json(await panel.api(adminToken, 'DELETE', `/servers/${server.id}`))
      expect(refused.status).toBe(409)
      expect(refused.body.error.message).toContain('websites: shop.example.com, blog.example.com')
      expect(refused.body.error.fields.websites).toBe('shop.example.com, blog.example.com')
      expect((await panel.api(adminToken, 'GET', `/servers/${server.id}`)).status).toBe(200)

      sites = []
      const token = (await json(await panel.api(adminToken, 'POST', `/servers/${server.id}/agent-token`)))
        .body.token
      const deleted = await panel.api(adminToken, 'DELETE', `/servers/${server.id}`)
      expect(deleted.status).toBe(204)
      expect((await panel.api(adminToken, 'GET', `/servers/${server.id}`)).status).toBe(404)
      // Its agent token died with it.
      const push = await panel.app.request('http://panel.test/api/v1/agent/samples', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ samples: [makeSample()] }),
      })
      expect(push.status).toBe(401)
    } finally {
      unregister()
    }
  })
})
