/**
 * Hosting packages: named quotas (websites, databases, DNS zones, disk) assigned to
 * users. Admins' packages are panel-wide (owner null); a reseller's packages are its
 * own to hand out to its users. Other areas read limits through quota.ts.
 */
import { and, asc, eq, sql } from 'drizzle-orm'
import type { Database, Tables } from '../../db/client.ts'
import { registerOwnedResource } from '../users/ownership.ts'
import { containsText } from '../users/search.ts'

export type Package = Tables['packages']['$inferSelect']

export const LIMIT_FIELDS = [
  { key: 'maxWebsites', api: 'max_websites', label: 'websites', kind: 'websites' },
  { key: 'maxDatabases', api: 'max_databases', label: 'databases', kind: 'databases' },
  { key: 'maxDnsZones', api: 'max_dns_zones', label: 'DNS zones', kind: 'dns_zones' },
  { key: 'diskMb', api: 'disk_mb', label: 'MB of disk', kind: 'disk_mb' },
] as const

export type Limits = Pick<Package, 'maxWebsites' | 'maxDatabases' | 'maxDnsZones' | 'diskMb'>

export function publicPackage(pkg: Package, users?: number) {
  return {
    id: pkg.id,
    name: pkg.name,
    owner_id: pkg.ownerId,
    max_websites: pkg.maxWebsites,
    max_databases: pkg.maxDatabases,
    max_dns_zones: pkg.maxDnsZones,
    disk_mb: pkg.diskMb,
    ...(users === undefined ? {} : { users }),
    created_at: pkg.createdAt.toISOString(),
    updated_at: pkg.updatedAt.toISOString(),
  }
}

export async function findPackage(database: Database, id: number): Promise<Package | null> {
  const { db, t } = database
  const [row] = await db.select().from(t.packages).where(eq(t.packages.id, id)).limit(1)
  return row ?? null
}

/** Packages of one owner (null: the admins' panel-wide ones), or all when owner is undefined. */
export async function listPackageRows(
  database: Database,
  options: { owner?: number | null; q?: string; offset?: number; limit?: number },
): Promise<{ rows: Package[]; total: number }> {
  const { db, t } = database
  const where = and(
    options.owner === undefined
      ? undefined
      : options.owner === null
        ? sql`${t.packages.ownerId} is null`
        : eq(t.packages.ownerId, options.owner),
    containsText(t.packages.name, options.q),
  )
  const rows = await db
    .select()
    .from(t.packages)
    .where(where)
    .orderBy(asc(t.packages.name), asc(t.packages.id))
    .limit(options.limit ?? 1000)
    .offset(options.offset ?? 0)
  const [count] = await db.select({ n: sql<number>`count(*)` }).from(t.packages).where(where)
  return { rows, total: Number(count?.n ?? 0) }
}

export async function packageNameTaken(
  database: Database,
  ownerId: number | null,
  name: string,
  exceptId?: number,
): Promise<boolean> {
  const { db, t } = database
  const rows = await db
    .select({ id: t.packages.id })
    .from(t.packages)
    .where(
      and(
        ownerId === null ? sql`${t.packages.ownerId} is null` : eq(t.packages.ownerId, ownerId),
        sql`lower(${t.packages.name}) = ${name.toLowerCase()}`,
      ),
    )
  return rows.some((r) => r.id !== exceptId)
}

export async function usersOfPackage(database: Database, packageId: number): Promise<number> {
  const { db, t } = database
  const [row] = await db
    .select({ n: sql<number>`count(*)` })
    .from(t.users)
    .where(eq(t.users.packageId, packageId))
  return Number(row?.n ?? 0)
}

export async function insertPackage(
  database: Database,
  values: Limits & { name: string; ownerId: number | null },
): Promise<Package> {
  const { db, t } = database
  const [row] = await db.insert(t.packages).values(values).returning()
  return row!
}

export async function updatePackageRow(
  database: Database,
  id: number,
  values: Partial<Limits & { name: string }>,
): Promise<Package> {
  const { db, t } = database
  const [row] = await db.update(t.packages).set(values).where(eq(t.packages.id, id)).returning()
  return row!
}

export async function deletePackageRow(database: Database, id: number): Promise<void> {
  const { db, t } = database
  await db.delete(t.packages).where(eq(t.packages.id, id))
}

registerOwnedResource({
  kind: 'packages',
  label: (n) => (n === 1 ? '1 hosting package' : `${n} hosting packages`),
  count: async (database, userId) => (await listPackageRows(database, { owner: userId, limit: 1 })).total,
  removeAll: async (deps, userId) => {
    const { db, t } = deps.database
    const owned = await db
      .select({ id: t.packages.id })
      .from(t.packages)
      .where(eq(t.packages.ownerId, userId))
    for (const { id } of owned) {
      await db.update(t.users).set({ packageId: null }).where(eq(t.users.packageId, id))
      await deletePackageRow(deps.database, id)
    }
  },
})
