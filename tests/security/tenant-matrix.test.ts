/**
 * The tenant-isolation matrix, generated from the app's own route table: every route
 * (UI and API, whoever added it) × every role × own and foreign objects. A route added
 * later is covered without editing this file; OBJECT_FIXTURES (tenants.ts) lets an area
 * say how to make its objects so its :id routes are tried with real foreign objects.
 *
 * For a reseller and a user, a foreign object must answer 403 or 404 (never 2xx, never
 * 5xx), write nothing, start no process and never show foreign data; an own object must
 * not answer 404. Admins may see everything, but no route may answer 5xx for any id.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { User } from '../../src/areas/users/repository.ts'
import { createUserAccount } from '../../src/areas/users/service.ts'
import { createApiToken } from '../../src/auth/api-tokens.ts'
import { sha256Hex } from '../../src/lib/crypto.ts'
import { observeSpawns } from '../../src/lib/spawn.ts'
import { PUBLIC_URL, TEST_PASSWORD, type TestPanel, testPanel } from '../helpers.ts'
import { Client, snapshot } from '../identity/support.ts'
import {
  type FixtureContext,
  FOREIGN,
  fixtureFor,
  fixtureValue,
  makeTenants,
  type Tenants,
} from './tenants.ts'

let panel: TestPanel
let tenants: Tenants
let ctx: FixtureContext

type Route = { method: string; path: string }
type Actor = { user: User; client: Client; token: string }

const actors = new Map<string, Actor>()

beforeAll(async () => {
  panel = await testPanel()
  tenants = await makeTenants(panel)
  ctx = { panel, tenants }
  // The foreign tenant acts, so its names sit in the audit log and the sign-in attempts.
  await createUserAccount(
    panel.deps,
    {
      user: tenants.foreign.reseller,
      actor: { userId: tenants.foreign.reseller.id, name: tenants.foreign.reseller.username },
    },
    { username: `${FOREIGN}-second`, role: 'user' },
  )
  await new Client(panel.app, '192.0.2.200').login(`${FOREIGN}-typo`, 'wrong password')
  for (const user of [tenants.own.reseller, tenants.own.user, tenants.admin]) {
    const client = new Client(panel.app, '192.0.2.10')
    await client.signIn(user.username, TEST_PASSWORD)
    const { token } = await createApiToken(panel.deps.database, {
      userId: user.id,
      name: 'matrix',
      scope: 'write',
    })
    actors.set(user.role, { user, client, token })
  }
})
afterAll(() => panel.dispose())

/** Every concrete route the app registered (middleware entries are ALL or end in *). */
function routeTable(): Route[] {
  const seen = new Set<string>()
  const out: Route[] = []
  for (const r of panel.app.routes) {
    if (r.method === 'ALL' || r.path.includes('*')) continue
    const key = `${r.method} ${r.path}`
    if (seen.has(key)) continue
    seen.add(key)
    out.push({ method: r.method, path: r.path })
  }
  return out
}

const isParam = (segment: string) => segment.startsWith(':')
const hasParams = (path: string) => path.split('/').some(isParam)

function paramPattern(segment: string): RegExp {
  const custom = /\{(.+)\}/.exec(segment)
  return new RegExp(`^${custom ? custom[1] : '[^/]+'}$`)
}

/** Values to try for each parameter of a route, for a viewer, own or foreign. */
async function candidates(route: Route, viewer: User, side: 'own' | 'foreign'): Promise<string[][] | null> {
  const segments = route.path.split('/')
  const lists: string[][] = []
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!
    if (!isParam(segment)) continue
    const fixture = fixtureFor(segments.slice(0, i + 1).join('/'))
    const pattern = paramPattern(segment)
    let values: string[]
    if (fixture) {
      if (side === 'own') values = [String(await fixtureValue(ctx, fixture, viewer, 'own'))]
      else {
        const owners = [tenants.foreign.reseller, tenants.foreign.user, tenants.foreign.admin]
        if (viewer.role === 'user') owners.push(tenants.own.reseller)
        values = []
        for (const owner of owners) values.push(String(await fixtureValue(ctx, fixture, owner, 'foreign')))
      }
    } else {
      if (side === 'own') return null
      values = [
        String(tenants.foreign.user.id),
        String(tenants.foreign.reseller.id),
        String(tenants.foreign.admin.id),
        '1',
        '999999',
        sha256Hex(FOREIGN),
        FOREIGN,
      ]
    }
    lists.push([...new Set(values.filter((v) => pattern.test(v)))].slice(0, 4))
  }
  if (lists.some((l) => l.length === 0)) return null
  const longest = Math.max(...lists.map((l) => l.length))
  return Array.from({ length: longest }, (_, n) => lists.map((l) => l[n % l.length]!))
}

function fill(path: string, values: string[]): string {
  let i = 0
  return path
    .split('/')
    .map((s) => (isParam(s) ? encodeURIComponent(values[i++]!) : s))
    .join('/')
}

async function send(actor: Actor, method: string, path: string): Promise<{ status: number; body: string }> {
  let res: Response
  if (path.startsWith('/api/v1/')) {
    const headers: Record<string, string> = { authorization: `Bearer ${actor.token}` }
    let body: string | undefined
    if (method !== 'GET' && method !== 'HEAD') {
      headers['content-type'] = 'application/json'
      body = '{}'
    }
    res = await panel.app.request(`${PUBLIC_URL}${path}`, { method, headers, body })
  } else {
    res = await actor.client.request(method, path, method === 'GET' ? {} : { form: {} })
  }
  if ((res.headers.get('content-type') ?? '').includes('text/event-stream')) {
    await res.body?.cancel()
    return { status: res.status, body: '' }
  }
  return { status: res.status, body: await res.text() }
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS'])

describe('tenant matrix', () => {
  for (const role of ['reseller', 'user'] as const) {
    test(`a ${role} gets 403/404 for every route on foreign objects, with nothing written or spawned`, async () => {
      const actor = actors.get(role)!
      const spawned: string[] = []
      const stop = observeSpawns((argv) => spawned.push(argv.join(' ')))
      const problems: string[] = []
      let tried = 0
      const routes: { route: Route; combos: string[][] }[] = []
      for (const route of routeTable().filter((r) => hasParams(r.path))) {
        const combos = await candidates(route, actor.user, 'foreign')
        if (combos) routes.push({ route, combos })
      }
      const baseline = await snapshot(panel.deps.database)
      try {
        for (const { route, combos } of routes) {
          const fixtureBacked = route.path
            .split('/')
            .some((s, i, all) => isParam(s) && fixtureFor(all.slice(0, i + 1).join('/')))
          const before = SAFE.has(route.method) ? null : await snapshot(panel.deps.database)
          for (const values of combos) {
            const path = fill(route.path, values)
            const { status, body } = await send(actor, route.method, path)
            tried++
            const allowed = fixtureBacked
              ? SAFE.has(route.method)
                ? [403, 404]
                : [403, 404, 422]
              : [400, 403, 404, 405, 422]
            if (!allowed.includes(status)) problems.push(`${route.method} ${path} answered ${status}`)
            if (body.toLowerCase().includes(FOREIGN))
              problems.push(`${route.method} ${path} showed foreign data`)
          }
          if (before !== null && (await snapshot(panel.deps.database)) !== before)
            problems.push(`${route.method} ${route.path} wrote to the database`)
        }
      } finally {
        stop()
      }
      expect(problems).toEqual([])
      expect(spawned).toEqual([])
      expect((await snapshot(panel.deps.database)) === baseline).toBe(true)
      expect(tried).toBeGreaterThan(10)
    })

    test(`a ${role} never sees foreign data on any page or list`, async () => {
      const actor = actors.get(role)!
      const problems: string[] = []
      for (const route of routeTable().filter((r) => r.method === 'GET' && !hasParams(r.path))) {
        if (route.path.startsWith('/static') || route.path === '/api/v1/openapi.json') continue
        const { status, body } = await send(actor, 'GET', route.path)
        if (status >= 500) problems.push(`GET ${route.path} answered ${status}`)
        if (body.toLowerCase().includes(FOREIGN)) problems.push(`GET ${route.path} showed foreign data`)
      }
      expect(problems).toEqual([])
    })

    test(`a ${role} reaches its own objects (never 404)`, async () => {
      const actor = actors.get(role)!
      const problems: string[] = []
      for (const route of routeTable().filter((r) => r.method === 'GET' && hasParams(r.path))) {
        const combos = await candidates(route, actor.user, 'own')
        if (!combos) continue
        for (const values of combos) {
          const path = fill(route.path, values)
          const { status } = await send(actor, 'GET', path)
          if (status !== 200 && status !== 403) problems.push(`GET ${path} answered ${status}`)
        }
      }
      expect(problems).toEqual([])
    })
  }

  test('an admin gets no 5xx from any route for any of those ids', async () => {
    const actor = actors.get('admin')!
    const problems: string[] = []
    for (const route of routeTable().filter((r) => r.method === 'GET' && hasParams(r.path))) {
      const combos = await candidates(route, tenants.own.user, 'foreign')
      for (const values of combos ?? []) {
        const path = fill(route.path, values)
        const { status } = await send(actor, 'GET', path)
        if (status >= 500) problems.push(`GET ${path} answered ${status}`)
      }
    }
    expect(problems).toEqual([])
  })

  test('the matrix covers the identity routes', () => {
    const paths = routeTable().map((r) => `${r.method} ${r.path}`)
    for (const expected of [
      'GET /api/v1/users/:id',
      'PATCH /api/v1/users/:id',
      'POST /users/:id',
      'DELETE /api/v1/packages/:id',
    ]) {
      expect(paths.some((p) => p.startsWith(expected))).toBe(true)
    }
  })
})
