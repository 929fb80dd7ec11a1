/**
 * Quotas for the other areas: call `assertQuota` before creating a website, a database
 * or a DNS zone. It answers 409 (AppError 'conflict') with a sentence naming the limit
 * when the owner's package is full, or when the owner's reseller has handed out all its
 * own package allows across its users. Admins have no limits; a user without a package
 * has none either (an admin decides who gets one). The reseller-wide check counts
 * through the ownership registry (users/ownership.ts), so register your counter under
 * the same kind ('websites', 'databases', 'dns_zones').
 *
 * @example
 *   // in the websites area, before inserting:
 *   await assertQuota(deps, owner, 'websites', await countWebsitesOf(deps.database, owner.id))
 *   // the caller's package and what it allows (e.g. disk for a backup area):
 *   const limits = await quotaOf(deps, user) // { package: 'Basic', websites: 5, …, disk_mb: 1024 } | null
 */
import { eq } from 'drizzle-orm'
import type { Deps } from '../../deps.ts'
import { AppError } from '../../lib/errors.ts'
import { ownedResource } from '../users/ownership.ts'
import type { User } from '../users/repository.ts'
import { findPackage, type Package } from './repository.ts'
import { resellerOf } from './service.ts'

export type QuotaKind = 'websites' | 'databases' | 'dns_zones'

const FIELD: Record<
  QuotaKind,
  { key: 'maxWebsites' | 'maxDatabases' | 'maxDnsZones'; one: string; many: string }
> = {
  websites: { key: 'maxWebsites', one: 'website', many: 'websites' },
  databases: { key: 'maxDatabases', one: 'database', many: 'databases' },
  dns_zones: { key: 'maxDnsZones', one: 'DNS zone', many: 'DNS zones' },
}

const amount = (n: number, kind: QuotaKind) => (n === 1 ? `1 ${FIELD[kind].one}` : `${n} ${FIELD[kind].many}`)

/** The user's package limits, or null when no package applies (admins, users without one). */
export async function quotaOf(deps: Pick<Deps, 'database'>, user: User) {
  if (user.role === 'admin' || !user.packageId) return null
  const pkg = await findPackage(deps.database, user.packageId)
  if (!pkg) return null
  return {
    package: pkg.name,
    websites: pkg.maxWebsites,
    databases: pkg.maxDatabases,
    dns_zones: pkg.maxDnsZones,
    disk_mb: pkg.diskMb,
  }
}

async function subtreeCount(
  deps: Pick<Deps, 'database'>,
  reseller: User,
  kind: QuotaKind,
): Promise<number | null> {
  const counter = ownedResource(kind)
  if (!counter) return null
  const { db, t } = deps.database
  const children = await db.select({ id: t.users.id }).from(t.users).where(eq(t.users.parentId, reseller.id))
  let total = 0
  for (const id of [reseller.id, ...children.map((c) => c.id)])
    total += await counter.count(deps.database, id)
  return total
}

function full(pkg: Package, kind: QuotaKind, have: number, whose: string, scope = ''): AppError {
  const limit = pkg[FIELD[kind].key]
  const allows = limit === 0 ? `no ${FIELD[kind].many}` : amount(limit, kind)
  return new AppError(
    'conflict',
    `${whose} package "${pkg.name}" allows ${allows}${scope}, and ${amount(have, kind)} already exist; delete one or ask for a bigger package`,
  )
}

/**
 * Refuses (409) creating `adding` more objects of `kind` for `owner`, who has
 * `currentCount` of them now.
 */
export async function assertQuota(
  deps: Pick<Deps, 'database'>,
  owner: User,
  kind: QuotaKind,
  currentCount: number,
  adding = 1,
): Promise<void> {
  if (owner.role === 'admin') return
  const own = owner.packageId ? await findPackage(deps.database, owner.packageId) : null
  if (own && currentCount + adding > own[FIELD[kind].key]) throw full(own, kind, currentCount, 'your')
  const reseller = owner.role === 'reseller' ? owner : await resellerOf(deps, owner)
  if (!reseller?.packageId) return
  const resellerPackage =
    reseller.id === owner.id ? own : await findPackage(deps.database, reseller.packageId)
  if (!resellerPackage) return
  const total = await subtreeCount(deps, reseller, kind)
  if (total === null) return
  if (total + adding > resellerPackage[FIELD[kind].key])
    throw full(
      resellerPackage,
      kind,
      total,
      reseller.id === owner.id ? 'your' : `your reseller's`,
      reseller.id === owner.id ? ' across you and your users' : ' across all its users',
    )
}
