/**
 * Packages as the UI and the API use them, scoped by the caller: admins manage the
 * panel-wide packages (and see all), a reseller manages its own and hands them out to
 * its users, whose packages together may not exceed the reseller's own package.
 */
import { eq } from 'drizzle-orm'
import type { Caller } from '../../auth/caller.ts'
import type { Deps } from '../../deps.ts'
import { AppError, notFound } from '../../lib/errors.ts'
import { recordAudit } from '../audit/record.ts'
import { findUserById, type User } from '../users/repository.ts'
import {
  deletePackageRow,
  findPackage,
  insertPackage,
  LIMIT_FIELDS,
  type Limits,
  listPackageRows,
  type Package,
  packageNameTaken,
  publicPackage,
  updatePackageRow,
  usersOfPackage,
} from './repository.ts'
import type { PackageCreate, PackageUpdate } from './schemas.ts'

type D = Pick<Deps, 'database'>

function assertManagesPackages(user: User): void {
  if (user.role === 'user')
    throw new AppError('forbidden', 'only admin or reseller accounts may manage packages')
}

/** Whether the caller may see and hand out this package. */
export function packageVisibleTo(user: User, pkg: Package): boolean {
  return user.role === 'admin' || (user.role === 'reseller' && pkg.ownerId === user.id)
}

export async function getPackage(deps: D, user: User, id: number): Promise<Package> {
  assertManagesPackages(user)
  const pkg = await findPackage(deps.database, id)
  if (!pkg || !packageVisibleTo(user, pkg)) throw notFound('the package')
  return pkg
}

export async function listPackages(
  deps: D,
  user: User,
  query: { q?: string; page: number; per_page: number },
) {
  assertManagesPackages(user)
  return listPackageRows(deps.database, {
    owner: user.role === 'admin' ? undefined : user.id,
    q: query.q,
    offset: (query.page - 1) * query.per_page,
    limit: query.per_page,
  })
}

/** The packages a caller may assign (for forms). */
export async function assignablePackages(deps: D, user: User): Promise<Package[]> {
  if (user.role === 'user') return []
  return (await listPackageRows(deps.database, { owner: user.role === 'admin' ? undefined : user.id })).rows
}

function toLimits(input: PackageCreate): Limits {
  return {
    maxWebsites: input.max_websites,
    maxDatabases: input.max_databases,
    maxDnsZones: input.max_dns_zones,
    diskMb: input.disk_mb,
  }
}

async function ownPackageOf(deps: D, reseller: User): Promise<Package> {
  const own = reseller.packageId ? await findPackage(deps.database, reseller.packageId) : null
  if (!own)
    throw new AppError(
      'conflict',
      'your account has no hosting package of its own, so it has nothing to hand out; ask an admin to assign one',
    )
  return own
}

/** A reseller's package may not promise more than the reseller's own, field by field. */
async function assertWithinOwn(deps: D, reseller: User, limits: Limits): Promise<void> {
  const own = await ownPackageOf(deps, reseller)
  const fields: Record<string, string> = {}
  for (const f of LIMIT_FIELDS) {
    if (limits[f.key] > own[f.key])
      fields[f.api] =
        `is ${limits[f.key]}, more than the ${own[f.key]} ${f.label} your own package "${own.name}" allows`
  }
  const [first] = Object.entries(fields)
  if (first) throw new AppError('conflict', `${first[0]} ${first[1]}`, fields)
}

/**
 * The packages a reseller hands out, added up over its users, may not exceed its own
 * package. `change` is the assignment or edit about to happen.
 */
export async function assertResellerAllowance(
  deps: D,
  reseller: User,
  change: { userId: number | 'new'; packageId: number | null } | { packageId: number; limits: Limits },
): Promise<void> {
  const own = await ownPackageOf(deps, reseller)
  const { db, t } = deps.database
  const children = await db
    .select({ id: t.users.id, packageId: t.users.packageId })
    .from(t.users)
    .where(eq(t.users.parentId, reseller.id))
  const assigned = children.map((c) =>
    'userId' in change && c.id === change.userId ? { ...c, packageId: change.packageId } : c,
  )
  if ('userId' in change && change.userId === 'new') assigned.push({ id: -1, packageId: change.packageId })
  const cache = new Map<number, Limits>()
  if ('limits' in change) cache.set(change.packageId, change.limits)
  const totals: Limits = { maxWebsites: 0, maxDatabases: 0, maxDnsZones: 0, diskMb: 0 }
  for (const { packageId } of assigned) {
    if (packageId == null) continue
    let limits = cache.get(packageId)
    if (!limits) {
      limits = (await findPackage(deps.database, packageId)) ?? undefined
      if (!limits) continue
      cache.set(packageId, limits)
    }
    for (const f of LIMIT_FIELDS) totals[f.key] += limits[f.key]
  }
  for (const f of LIMIT_FIELDS) {
    if (totals[f.key] > own[f.key])
      throw new AppError(
        'conflict',
        `the packages you hand out would add up to ${totals[f.key]} ${f.label}, more than the ${own[f.key]} your own package "${own.name}" allows`,
      )
  }
}

export async function createPackage(deps: D, caller: Caller, input: PackageCreate) {
  const { user } = caller
  assertManagesPackages(user)
  const ownerId = user.role === 'admin' ? null : user.id
  const limits = toLimits(input)
  if (user.role === 'reseller') await assertWithinOwn(deps, user, limits)
  if (await packageNameTaken(deps.database, ownerId, input.name))
    throw new AppError('conflict', `a package named ${input.name} already exists`, {
      name: 'is already used by another package',
    })
  const pkg = await insertPackage(deps.database, { name: input.name, ownerId, ...limits })
  await recordAudit(deps.database, caller.actor, {
    action: 'package.create',
    objectType: 'package',
    objectId: pkg.id,
    after: publicPackage(pkg),
  })
  return pkg
}

export async function updatePackage(deps: D, caller: Caller, id: number, input: PackageUpdate) {
  const { user } = caller
  const pkg = await getPackage(deps, user, id)
  const merged: PackageCreate = {
    name: input.name ?? pkg.name,
    max_websites: input.max_websites ?? pkg.maxWebsites,
    max_databases: input.max_databases ?? pkg.maxDatabases,
    max_dns_zones: input.max_dns_zones ?? pkg.maxDnsZones,
    disk_mb: input.disk_mb ?? pkg.diskMb,
  }
  const limits = toLimits(merged)
  if (user.role === 'reseller') {
    await assertWithinOwn(deps, user, limits)
    await assertResellerAllowance(deps, user, { packageId: pkg.id, limits })
  }
  if (merged.name !== pkg.name && (await packageNameTaken(deps.database, pkg.ownerId, merged.name, pkg.id)))
    throw new AppError('conflict', `a package named ${merged.name} already exists`, {
      name: 'is already used by another package',
    })
  const updated = await updatePackageRow(deps.database, pkg.id, { name: merged.name, ...limits })
  await recordAudit(deps.database, caller.actor, {
    action: 'package.update',
    objectType: 'package',
    objectId: pkg.id,
    before: publicPackage(pkg),
    after: publicPackage(updated),
  })
  return updated
}

export async function deletePackage(deps: D, caller: Caller, id: number): Promise<void> {
  const pkg = await getPackage(deps, caller.user, id)
  const users = await usersOfPackage(deps.database, pkg.id)
  if (users > 0)
    throw new AppError(
      'conflict',
      `the package ${pkg.name} is assigned to ${users} user${users === 1 ? '' : 's'}; give ${users === 1 ? 'it' : 'them'} another package first`,
    )
  await deletePackageRow(deps.database, pkg.id)
  await recordAudit(deps.database, caller.actor, {
    action: 'package.delete',
    objectType: 'package',
    objectId: pkg.id,
    before: publicPackage(pkg),
  })
}

/**
 * Checks that `caller` may give `packageId` (or none) to a user it manages: the package
 * must be one the caller sees, and a reseller's packages must stay within its own.
 */
export async function assertAssignable(
  deps: D,
  caller: User,
  target: { id: number | 'new' },
  packageId: number | null,
): Promise<void> {
  if (packageId !== null) {
    const pkg = await findPackage(deps.database, packageId)
    if (!pkg || !packageVisibleTo(caller, pkg))
      throw new AppError('not-found', `the package ${packageId} was not found`, {
        package_id: 'is not a package you can assign',
      })
  }
  if (caller.role === 'reseller')
    await assertResellerAllowance(deps, caller, { userId: target.id, packageId })
}

export async function resellerOf(deps: D, user: User): Promise<User | null> {
  if (!user.parentId) return null
  const parent = await findUserById(deps.database, user.parentId)
  return parent?.role === 'reseller' ? parent : null
}
