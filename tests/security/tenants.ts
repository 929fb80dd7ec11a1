/**
 * Two tenants side by side for the security tests, and the objects each owns.
 *
 * "Own" is reseller R1 with its user U1; "foreign" is reseller R2 with its user U2 and
 * everything the admins made. Every foreign name carries FOREIGN, so a test can tell
 * that foreign data leaked by finding the marker in an answer.
 *
 * Areas added later plug their objects in through OBJECT_FIXTURES: one entry per kind of
 * route parameter, saying how to make an object owned by a given user (see the
 * README of tests/security). Routes whose parameters no fixture claims are still
 * requested, with ids of the foreign users and packages (and ids no object has).
 */
import { eq } from 'drizzle-orm'
import { createPackage } from '../../src/areas/packages/service.ts'
import { type User, updateUserRow } from '../../src/areas/users/repository.ts'
import { createApiToken } from '../../src/auth/api-tokens.ts'
import type { Caller } from '../../src/auth/caller.ts'
import { createSession } from '../../src/auth/sessions.ts'
import type { TestPanel } from '../helpers.ts'

export const FOREIGN = 'zzforeign'

export type Tenants = {
  admin: User
  own: { reseller: User; user: User }
  foreign: { reseller: User; user: User; admin: User }
}

export async function makeTenants(panel: TestPanel): Promise<Tenants> {
  const admin = await panel.createUser('admin', { username: `${FOREIGN}-admin` })
  const caller = (user: User): Caller => ({ user, actor: { userId: user.id, name: user.username } })
  const adminPackage = await createPackage(panel.deps, caller(admin), {
    name: 'reseller allowance',
    max_websites: 100,
    max_databases: 100,
    max_dns_zones: 100,
    disk_mb: 100000,
  })
  const r1 = await panel.createUser('reseller', { username: 'own-reseller' })
  const r2 = await panel.createUser('reseller', { username: `${FOREIGN}-reseller` })
  for (const r of [r1, r2]) await updateUserRow(panel.deps.database, r.id, { packageId: adminPackage.id })
  const u1 = await panel.createUser('user', { username: 'own-user', parentId: r1.id })
  const u2 = await panel.createUser('user', { username: `${FOREIGN}-user`, parentId: r2.id })
  const { db, t } = panel.deps.database
  const fresh = async (u: User) => (await db.select().from(t.users).where(eq(t.users.id, u.id)))[0]!
  return {
    admin,
    own: { reseller: await fresh(r1), user: u1 },
    foreign: { reseller: await fresh(r2), user: u2, admin },
  }
}

export type FixtureContext = { panel: TestPanel; tenants: Tenants }

export type ObjectFixture = {
  /** Which route parameters this fixture fills: matched against the route path up to the parameter. */
  route: RegExp
  /** Makes (or picks) an object owned by `owner` and returns the parameter value. */
  make: (ctx: FixtureContext, owner: User) => Promise<string | number>
  /** An object `viewer` may reach (defaults to one it owns itself). */
  own?: (ctx: FixtureContext, viewer: User) => Promise<string | number>
}

/**
 * The objects of the identity area. Other areas add theirs here, e.g.
 *   { route: /\/websites\/:id/, make: async ({ panel }, owner) => (await addWebsite(panel.deps, owner)).id }
 */
export const OBJECT_FIXTURES: ObjectFixture[] = [
  {
    route: /\/users\/:id/,
    make: async (_ctx, owner) => owner.id,
    own: async ({ tenants }, viewer) => (viewer.role === 'reseller' ? tenants.own.user.id : viewer.id),
  },
  {
    route: /\/packages\/:id/,
    make: async ({ panel }, owner) => {
      const by = owner.role === 'user' ? null : owner
      const pkg = await createPackage(
        panel.deps,
        { user: by ?? owner, actor: { userId: owner.id, name: owner.username } },
        {
          name: `${owner.username} package ${Math.random().toString(36).slice(2, 7)}`,
          max_websites: 1,
          max_databases: 1,
          max_dns_zones: 1,
          disk_mb: 1,
        },
      ).catch(() => null)
      return pkg?.id ?? 999_999
    },
  },
  {
    route: /\/tokens\/:id/,
    make: async ({ panel }, owner) =>
      (
        await createApiToken(panel.deps.database, {
          userId: owner.id,
          name: `${owner.username} token`,
          scope: 'read',
        })
      ).row.id,
  },
  {
    // A finished job (so its stream ends at once), named after its requester in the summary.
    route: /\/jobs\/:id/,
    make: async ({ panel }, owner) => {
      const { db, t } = panel.deps.database
      const [job] = await db
        .insert(t.jobs)
        .values({
          kind: 'server.facts',
          playbook: 'facts.yml',
          input: { note: `${owner.username} input` },
          requestedBy: owner.id,
          state: 'succeeded',
          summary: `${owner.username} job`,
          logText: `${owner.username} log\n`,
          startedAt: new Date(),
          finishedAt: new Date(),
        })
        .returning()
      return job!.id
    },
  },
  {
    route: /\/sessions\/:sid/,
    make: async ({ panel }, owner) =>
      (
        await createSession(panel.deps.database, owner.id, {
          stage: 'full',
          ip: '192.0.2.1',
          userAgent: 'fixture',
        })
      ).session.id,
  },
]

/** The fixture for a parameter of a route path (the path up to and including the parameter). */
export function fixtureFor(pathUpToParam: string): ObjectFixture | undefined {
  return OBJECT_FIXTURES.find((f) => f.route.test(pathUpToParam))
}

const made = new Map<string, Promise<string | number>>()

/** One object per fixture, owner and side, made on first use (so later requests write nothing new). */
export function fixtureValue(
  ctx: FixtureContext,
  fixture: ObjectFixture,
  user: User,
  side: 'own' | 'foreign',
): Promise<string | number> {
  const key = `${OBJECT_FIXTURES.indexOf(fixture)}:${user.id}:${side}:${ctx.panel.deps.dataDir}`
  let value = made.get(key)
  if (!value) {
    value = side === 'own' ? (fixture.own ?? fixture.make)(ctx, user) : fixture.make(ctx, user)
    made.set(key, value)
  }
  return value
}
