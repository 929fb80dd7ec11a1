import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { assertQuota } from '../../src/areas/packages/quota.ts'
import { registerOwnedResource } from '../../src/areas/users/ownership.ts'
import { findUserById, type User } from '../../src/areas/users/repository.ts'
import { canSee, tenancyOf, visibleOwnerIds } from '../../src/auth/tenancy.ts'
import { AppError } from '../../src/lib/errors.ts'
import { TEST_PASSWORD, type TestPanel, testPanel } from '../helpers.ts'
import { Client } from './support.ts'

let panel: TestPanel
let adminToken: string
beforeAll(async () => {
  panel = await testPanel()
  adminToken = await panel.token(await panel.createUser('admin'))
})
afterAll(() => panel.dispose())

type Json = Record<string, unknown> & {
  error?: { code: string; message: string; fields?: Record<string, string> }
}
const json = async (res: Response) => (await res.json()) as Json

async function makePackage(token: string, name: string, limits: Partial<Record<string, number>> = {}) {
  const res = await panel.api(token, 'POST', '/packages', {
    name,
    max_websites: 10,
    max_databases: 10,
    max_dns_zones: 10,
    disk_mb: 1000,
    ...limits,
  })
  const body = await json(res)
  if (res.status !== 201) throw new Error(`package: ${res.status} ${JSON.stringify(body)}`)
  return body as { id: number; name: string }
}

describe('users API', () => {
  test('an admin creates, lists, searches, edits, deactivates and deletes a user', async () => {
    const created = await panel.api(adminToken, 'POST', '/users', {
      username: 'carol',
      role: 'user',
      email: 'carol@example.com',
    })
    expect(created.status).toBe(201)
    const carol = await json(created)
    expect(carol.username).toBe('carol')
    expect(typeof carol.password).toBe('string')
    expect(carol).not.toHaveProperty('password_hash')
    const client = new Client(panel.app, '192.0.2.50')
    expect((await client.login('carol', carol.password as string)).status).toBe(303)

    const list = await json(await panel.api(adminToken, 'GET', '/users?q=caro&per_page=5'))
    expect(list.total).toBe(1)
    expect((list.data as Json[])[0]!.username).toBe('carol')
    const page2 = await json(await panel.api(adminToken, 'GET', '/users?per_page=1&page=2'))
    expect((page2.data as Json[]).length).toBe(1)
    expect(page2.total as number).toBeGreaterThan(1)

    const edited = await panel.api(adminToken, 'PATCH', `/users/${carol.id}`, { email: 'c@example.org' })
    expect((await json(edited)).email).toBe('c@example.org')
    const off = await panel.api(adminToken, 'PATCH', `/users/${carol.id}`, { status: 'disabled' })
    expect((await json(off)).status).toBe('disabled')
    expect((await client.get('/account')).status).toBe(302)

    const reset = await json(await panel.api(adminToken, 'POST', `/users/${carol.id}/password`, {}))
    expect(typeof reset.password).toBe('string')

    expect((await panel.api(adminToken, 'DELETE', `/users/${carol.id}`)).status).toBe(204)
    expect((await panel.api(adminToken, 'GET', `/users/${carol.id}`)).status).toBe(404)
    const { db, t } = panel.deps.database
    const audit = await db
      .select()
      .from(t.auditLog)
      .where(eq(t.auditLog.objectId, String(carol.id)))
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining([
        'user.create',
        'user.update',
        'user.deactivate',
        'user.password-reset',
        'user.delete',
      ]),
    )
    expect(JSON.stringify(audit)).not.toContain(reset.password as string)
  })

  test('bad input answers 422 naming the field; a taken name 409', async () => {
    const bad = await json(
      await panel.api(adminToken, 'POST', '/users', { username: 'Bad Name', role: 'user' }),
    )
    expect(bad.error?.code).toBe('invalid')
    expect(bad.error?.fields).toHaveProperty('username')
    await panel.api(adminToken, 'POST', '/users', { username: 'dave', role: 'user' })
    const taken = await panel.api(adminToken, 'POST', '/users', { username: 'dave', role: 'user' })
    expect(taken.status).toBe(409)
  })

  test('a user role has no users area (403), and a read token cannot write', async () => {
    const user = await panel.createUser('user')
    const token = await panel.token(user)
    expect((await panel.api(token, 'GET', '/users')).status).toBe(403)
    expect((await panel.api(token, 'GET', '/packages')).status).toBe(403)
    const read = await panel.token(await panel.createUser('admin'), 'read')
    expect((await panel.api(read, 'GET', '/users')).status).toBe(200)
    expect((await panel.api(read, 'POST', '/users', { username: 'erin', role: 'user' })).status).toBe(403)
  })
})

describe('resellers', () => {
  let reseller: User
  let token: string
  beforeAll(async () => {
    reseller = await panel.createUser('reseller')
    token = await panel.token(reseller)
  })

  test('a reseller creates only users, owns them and sees only them', async () => {
    const asAdmin = await panel.api(token, 'POST', '/users', { username: 'rs-admin', role: 'admin' })
    expect(asAdmin.status).toBe(403)
    const asReseller = await panel.api(token, 'POST', '/users', { username: 'rs-res', role: 'reseller' })
    expect(asReseller.status).toBe(403)
    const made = await json(await panel.api(token, 'POST', '/users', { username: 'rs-user1', role: 'user' }))
    expect(made.parent_id).toBe(reseller.id)
    const other = await panel.createUser('user')
    const list = await json(await panel.api(token, 'GET', '/users'))
    expect((list.data as Json[]).map((u) => u.username)).toEqual(['rs-user1'])
    expect((await panel.api(token, 'GET', `/users/${other.id}`)).status).toBe(404)
    expect((await panel.api(token, 'PATCH', `/users/${other.id}`, { email: 'x@example.com' })).status).toBe(
      404,
    )
    expect((await panel.api(token, 'DELETE', `/users/${other.id}`)).status).toBe(404)
    const promote = await panel.api(token, 'PATCH', `/users/${made.id}`, { role: 'reseller' })
    expect(promote.status).toBe(403)
    expect((await findUserById(panel.deps.database, other.id))?.email).toBeNull()
  })

  test('a reseller without a package of its own can hand none out', async () => {
    const res = await panel.api(token, 'POST', '/packages', {
      name: 'Tiny',
      max_websites: 1,
      max_databases: 1,
      max_dns_zones: 1,
      disk_mb: 10,
    })
    expect(res.status).toBe(409)
    expect((await json(res)).error?.message).toContain('no hosting package of its own')
  })

  test('the packages a reseller hands out cannot add up past its own', async () => {
    const gold = await makePackage(adminToken, 'Gold', { max_websites: 10, max_databases: 4 })
    await panel.api(adminToken, 'PATCH', `/users/${reseller.id}`, { package_id: gold.id })
    const tooBig = await panel.api(token, 'POST', '/packages', {
      name: 'Huge',
      max_websites: 11,
      max_databases: 1,
      max_dns_zones: 1,
      disk_mb: 10,
    })
    expect(tooBig.status).toBe(409)
    expect((await json(tooBig)).error?.fields).toHaveProperty('max_websites')
    const half = await makePackage(token, 'Half', {
      max_websites: 5,
      max_databases: 2,
      max_dns_zones: 1,
      disk_mb: 100,
    })
    const a = await json(
      await panel.api(token, 'POST', '/users', { username: 'rs-a', role: 'user', package_id: half.id }),
    )
    expect(a.package_id).toBe(half.id)
    const b = await panel.api(token, 'POST', '/users', {
      username: 'rs-b',
      role: 'user',
      package_id: half.id,
    })
    expect(b.status).toBe(201)
    const c = await panel.api(token, 'POST', '/users', {
      username: 'rs-c',
      role: 'user',
      package_id: half.id,
    })
    expect(c.status).toBe(409)
    expect((await json(c)).error?.message).toMatch(
      /add up to 15 websites, more than the 10 your own package "Gold" allows/,
    )
    const grow = await panel.api(token, 'PATCH', `/packages/${half.id}`, { max_databases: 3 })
    expect(grow.status).toBe(409)
    const foreignPackage = await makePackage(adminToken, 'Panel-wide')
    const steal = await panel.api(token, 'POST', '/users', {
      username: 'rs-d',
      role: 'user',
      package_id: foreignPackage.id,
    })
    expect(steal.status).toBe(404)
    const seen = await json(await panel.api(token, 'GET', '/packages'))
    expect((seen.data as Json[]).map((p) => p.name)).toEqual(['Half'])
    expect((await panel.api(token, 'GET', `/packages/${gold.id}`)).status).toBe(404)
    const inUse = await panel.api(token, 'DELETE', `/packages/${half.id}`)
    expect(inUse.status).toBe(409)
  })

  test('tenancy helpers scope a reseller to itself and its users', async () => {
    const scope = await tenancyOf(panel.deps, reseller)
    expect(scope.all).toBe(false)
    expect(scope.ownerIds).toContain(reseller.id)
    const child = (await panel.createUser('user', { parentId: reseller.id }))!
    const stranger = await panel.createUser('user')
    expect(await canSee(panel.deps, reseller, child.id)).toBe(true)
    expect(await canSee(panel.deps, reseller, stranger.id)).toBe(false)
    expect(await canSee(panel.deps, child, reseller.id)).toBe(false)
    expect(await canSee(panel.deps, child, null)).toBe(false)
    expect(await visibleOwnerIds(panel.deps, child)).toEqual([child.id])
    const admin = await panel.createUser('admin')
    expect(await visibleOwnerIds(panel.deps, admin)).toBeNull()
    expect((await tenancyOf(panel.deps, admin)).canSee(stranger.id)).toBe(true)
  })
})

describe('quotas', () => {
  test('assertQuota answers 409 naming the limit of the package, and of the reseller across its users', async () => {
    const counts = new Map<number, number>()
    const restore = registerOwnedResource({
      kind: 'dns_zones',
      label: (n) => `${n} DNS zones`,
      count: async (_db, userId) => counts.get(userId) ?? 0,
    })
    const small = await makePackage(adminToken, 'Small', { max_dns_zones: 2 })
    const resellerPackage = await makePackage(adminToken, 'Resell', { max_dns_zones: 3 })
    const reseller = await panel.createUser('reseller')
    await panel.api(adminToken, 'PATCH', `/users/${reseller.id}`, { package_id: resellerPackage.id })
    const child = await panel.createUser('user', { parentId: reseller.id })
    await panel.api(adminToken, 'PATCH', `/users/${child.id}`, { package_id: small.id })
    const fresh = (await findUserById(panel.deps.database, child.id))!
    await assertQuota(panel.deps, fresh, 'dns_zones', 1)
    const full = await assertQuota(panel.deps, fresh, 'dns_zones', 2).catch((e) => e)
    expect(full).toBeInstanceOf(AppError)
    expect((full as AppError).status).toBe(409)
    expect((full as AppError).message).toBe(
      'your package "Small" allows 2 DNS zones, and 2 DNS zones already exist; delete one or ask for a bigger package',
    )
    counts.set(reseller.id, 2)
    counts.set(child.id, 1)
    const shared = await assertQuota(panel.deps, fresh, 'dns_zones', 1).catch((e) => e)
    expect((shared as AppError).message).toContain(
      'your reseller\'s package "Resell" allows 3 DNS zones across all its users',
    )
    const admin = await panel.createUser('admin')
    await assertQuota(panel.deps, admin, 'dns_zones', 10_000)
    restore()
  })
})

describe('deleting a user that owns things', () => {
  test('is refused with a list, and cascades only when the username is typed', async () => {
    const removed: number[] = []
    const restore = registerOwnedResource({
      kind: 'websites',
      label: (n) => (n === 1 ? '1 website' : `${n} websites`),
      count: async (_db, userId) => (removed.includes(userId) ? 0 : userId === owner.id ? 2 : 0),
      removeAll: async (_deps, userId) => {
        removed.push(userId)
      },
    })
    const owner = await panel.createUser('user')
    const refused = await panel.api(adminToken, 'DELETE', `/users/${owner.id}`)
    expect(refused.status).toBe(409)
    expect((await json(refused)).error?.message).toContain(`${owner.username} still owns 2 websites`)
    expect((await panel.api(adminToken, 'DELETE', `/users/${owner.id}?confirm=someone-else`)).status).toBe(
      409,
    )
    const admin = await panel.signIn('admin')
    const page = await (await admin.get(`/users/${owner.id}`)).text()
    expect(page).toContain(`still owns 2 websites`)
    const viaForm = await admin.post(`/users/${owner.id}/delete`, { confirm: owner.username })
    expect(viaForm.status).toBe(303)
    expect(removed).toEqual([owner.id])
    expect(await findUserById(panel.deps.database, owner.id)).toBeNull()
    restore()
  })

  test('a reseller deleted with a typed confirmation takes its users and packages with it', async () => {
    const reseller = await panel.createUser('reseller')
    const child = await panel.createUser('user', { parentId: reseller.id })
    const refused = await panel.api(adminToken, 'DELETE', `/users/${reseller.id}`)
    expect((await json(refused)).error?.message).toContain('1 user account')
    expect(
      (await panel.api(adminToken, 'DELETE', `/users/${reseller.id}?confirm=${reseller.username}`)).status,
    ).toBe(204)
    expect(await findUserById(panel.deps.database, child.id)).toBeNull()
  })
})

describe('users pages', () => {
  test('the list searches and paginates; create and edit go through the same rules', async () => {
    const admin = await panel.signIn('admin')
    const made = await admin.post('/users', {
      username: 'pageuser',
      role: 'user',
      email: '',
      password: '',
      package_id: '',
    })
    expect(made.status).toBe(200)
    const html = await made.text()
    expect(html).toContain('shown only now')
    const list = await (await admin.get('/users?q=pageuser')).text()
    expect(list).toContain('pageuser')
    expect(list).not.toContain('rs-user1')
    const bad = await admin.post('/users', { username: 'x', role: 'user' })
    expect(bad.status).toBe(422)
    expect(await bad.text()).toContain('must be at least 2 characters')
    const reseller = await panel.signIn('reseller')
    const refused = await reseller.post('/users', { username: 'sneaky', role: 'admin' })
    expect(refused.status).toBe(403)
    expect(await findUserByName('sneaky')).toBeNull()
  })

  test('a user signed in by password sees no users area', async () => {
    const user = await panel.signIn('user')
    expect((await user.get('/users')).status).toBe(403)
    expect((await user.get('/packages')).status).toBe(403)
    expect((await user.get('/audit/logins')).status).toBe(403)
  })
})

async function findUserByName(name: string) {
  const { db, t } = panel.deps.database
  const [row] = await db.select().from(t.users).where(eq(t.users.username, name))
  return row ?? null
}

test('a created user can sign in with the password given', async () => {
  const res = await panel.api(adminToken, 'POST', '/users', {
    username: 'frank',
    role: 'user',
    password: TEST_PASSWORD,
  })
  expect(res.status).toBe(201)
  expect((await json(res)).password).toBeUndefined()
  const client = new Client(panel.app, '192.0.2.77')
  expect((await client.login('frank', TEST_PASSWORD)).status).toBe(303)
})
