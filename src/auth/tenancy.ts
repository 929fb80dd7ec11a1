/**
 * Tenancy: whose objects a caller may see. An admin sees everything; a reseller sees
 * its own objects and those of the users it created (users.parent_id); a user sees
 * only its own. Every area scopes its repository queries with these helpers and
 * answers 404 for an object outside the caller's scope (not 403: that would confirm
 * the object exists). Resellers cannot create resellers, so the tree is one level deep.
 *
 * @example
 *   // a list, scoped in SQL
 *   const scope = await tenancyOf(deps, c.var.user!)
 *   const rows = await db.select().from(t.websites).where(scope.where(t.websites.ownerId))
 *   // one object by id: another tenant's id is a 404
 *   const [site] = await db.select().from(t.websites).where(eq(t.websites.id, id))
 *   if (!site || !scope.canSee(site.ownerId)) throw notFound('the website')
 *   // or, when only an owner id is at hand
 *   if (!(await canSee(deps, user, site.ownerId))) throw notFound('the website')
 */
import { eq, inArray, type SQL, sql } from 'drizzle-orm'
import type { AnyColumn } from 'drizzle-orm/column'
import type { User } from '../areas/users/repository.ts'
import type { Deps } from '../deps.ts'

export type Tenancy = {
  /** True for admins: no restriction at all. */
  all: boolean
  /** The user ids whose objects the caller sees (empty for admins, who see all). */
  ownerIds: number[]
  /** Whether an object owned by `ownerId` is visible (an unowned object only to admins). */
  canSee(ownerId: number | null | undefined): boolean
  /** A where-clause for the owner column: undefined for admins, else owner IN (…). */
  where(column: AnyColumn): SQL | undefined
}

function tenancy(all: boolean, ownerIds: number[]): Tenancy {
  const set = new Set(ownerIds)
  return {
    all,
    ownerIds,
    canSee: (ownerId) => all || (ownerId != null && set.has(ownerId)),
    where: (column) =>
      all ? undefined : ownerIds.length === 1 ? eq(column, ownerIds[0]!) : inArray(column, ownerIds),
  }
}

/** The users a reseller created (its subtree below itself). */
export async function childUserIds(deps: Pick<Deps, 'database'>, resellerId: number): Promise<number[]> {
  const { db, t } = deps.database
  const rows = await db.select({ id: t.users.id }).from(t.users).where(eq(t.users.parentId, resellerId))
  return rows.map((r) => r.id)
}

export async function tenancyOf(deps: Pick<Deps, 'database'>, user: User): Promise<Tenancy> {
  if (user.role === 'admin') return tenancy(true, [])
  if (user.role === 'reseller') return tenancy(false, [user.id, ...(await childUserIds(deps, user.id))])
  return tenancy(false, [user.id])
}

/** The ids whose objects `user` may see, or null for an admin (everything). */
export async function visibleOwnerIds(deps: Pick<Deps, 'database'>, user: User): Promise<number[] | null> {
  const scope = await tenancyOf(deps, user)
  return scope.all ? null : scope.ownerIds
}

export async function canSee(
  deps: Pick<Deps, 'database'>,
  user: User,
  ownerId: number | null | undefined,
): Promise<boolean> {
  if (user.role === 'admin') return true
  if (ownerId == null) return false
  if (ownerId === user.id) return true
  if (user.role !== 'reseller') return false
  const { db, t } = deps.database
  const [row] = await db
    .select({ n: sql<number>`count(*)` })
    .from(t.users)
    .where(sql`${t.users.id} = ${ownerId} and ${t.users.parentId} = ${user.id}`)
  return Number(row?.n ?? 0) > 0
}
