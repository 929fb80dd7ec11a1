/**
 * The users area's operations, scoped by the caller: an admin manages every account;
 * a reseller manages the users it created (and may create only plain users, with its
 * own packages); a user has no users area (403). Another tenant's id answers 404.
 */

import type { Caller } from '../../auth/caller.ts'
import { deleteUserSessions } from '../../auth/sessions.ts'
import type { Deps } from '../../deps.ts'
import { randomToken } from '../../lib/crypto.ts'
import { AppError, notFound } from '../../lib/errors.ts'
import { type Actor, recordAudit } from '../audit/record.ts'
import { assertAssignable } from '../packages/service.ts'
import { holdingsOf, listHoldings, ownedResource, registerOwnedResource } from './ownership.ts'
import {
  countChildren,
  createUser,
  deleteUserRow,
  findUserById,
  findUserByUsername,
  listUserRows,
  publicUser,
  setPassword,
  type User,
  updateUserRow,
} from './repository.ts'
import type { UserCreate, UserUpdate } from './schemas.ts'

type D = Pick<Deps, 'database'>

function assertManagesUsers(user: User): void {
  if (user.role === 'user')
    throw new AppError('forbidden', 'only admin or reseller accounts may manage users')
}

/** Whether `caller` manages `target` in the users area. */
export function manages(caller: User, target: User): boolean {
  return caller.role === 'admin' || (caller.role === 'reseller' && target.parentId === caller.id)
}

export async function getUser(deps: D, caller: User, id: number): Promise<User> {
  assertManagesUsers(caller)
  const user = await findUserById(deps.database, id)
  if (!user || !manages(caller, user)) throw notFound('the user')
  return user
}

export async function listUsers(
  deps: D,
  caller: User,
  query: { q?: string; page: number; per_page: number; role?: User['role']; status?: User['status'] },
) {
  assertManagesUsers(caller)
  return listUserRows(deps.database, {
    parentId: caller.role === 'admin' ? undefined : caller.id,
    q: query.q,
    role: query.role,
    status: query.status,
    offset: (query.page - 1) * query.per_page,
    limit: query.per_page,
  })
}

export async function createUserAccount(
  deps: D,
  caller: Caller,
  input: UserCreate,
): Promise<{ user: User; password: string | null }> {
  const me = caller.user
  assertManagesUsers(me)
  if (me.role === 'reseller' && input.role !== 'user')
    throw new AppError('forbidden', 'a reseller may create only user accounts', {
      role: 'must be user for accounts a reseller creates',
    })
  if (await findUserByUsername(deps.database, input.username))
    throw new AppError('conflict', `the username ${input.username} is taken`, { username: 'is taken' })
  const packageId = input.package_id ?? null
  if (packageId !== null || me.role === 'reseller') {
    if (packageId !== null) await assertAssignable(deps, me, { id: 'new' }, packageId)
  }
  const generated = input.password ? null : randomToken(15)
  const user = await createUser(deps.database, {
    username: input.username,
    role: input.role,
    email: input.email ?? null,
    password: input.password ?? generated!,
    parentId: me.role === 'reseller' ? me.id : null,
    packageId,
  })
  await recordAudit(deps.database, caller.actor, {
    action: 'user.create',
    objectType: 'user',
    objectId: user.id,
    after: publicUser(user),
  })
  return { user, password: generated }
}

export async function updateUserAccount(
  deps: D,
  caller: Caller,
  id: number,
  input: UserUpdate,
): Promise<User> {
  const me = caller.user
  const target = await getUser(deps, me, id)
  if (input.role !== undefined && input.role !== target.role) {
    if (me.role !== 'admin')
      throw new AppError('forbidden', 'only admins may change roles', {
        role: 'only admins may change roles',
      })
    if (target.id === me.id)
      throw new AppError('conflict', 'you cannot change your own role', {
        role: 'cannot change your own role',
      })
    if (target.parentId !== null && input.role !== 'user')
      throw new AppError('conflict', `${target.username} belongs to a reseller and can only be a user`, {
        role: 'must stay user for a reseller’s account',
      })
    if (target.role === 'reseller' && (await countChildren(deps.database, target.id)) > 0)
      throw new AppError(
        'conflict',
        `${target.username} still has users of its own; move or delete them first`,
        {
          role: 'the reseller still has users',
        },
      )
  }
  if (input.status === 'disabled' && target.id === me.id)
    throw new AppError('conflict', 'you cannot deactivate your own account', {
      status: 'cannot deactivate yourself',
    })
  if (input.package_id !== undefined && input.package_id !== target.packageId)
    await assertAssignable(deps, me, { id: target.id }, input.package_id)
  const updated = await updateUserRow(deps.database, target.id, {
    ...(input.email !== undefined ? { email: input.email } : {}),
    ...(input.role !== undefined ? { role: input.role } : {}),
    ...(input.status !== undefined ? { status: input.status } : {}),
    ...(input.package_id !== undefined ? { packageId: input.package_id } : {}),
  })
  if (input.status === 'disabled') await deleteUserSessions(deps.database, target.id)
  await recordAudit(deps.database, caller.actor, {
    action:
      input.status && input.status !== target.status
        ? `user.${input.status === 'active' ? 'activate' : 'deactivate'}`
        : 'user.update',
    objectType: 'user',
    objectId: target.id,
    before: publicUser(target),
    after: publicUser(updated),
  })
  return updated
}

/** Sets a new password (or generates one, returned once) and ends the user's sessions. */
export async function resetUserPassword(
  deps: D,
  caller: Caller,
  id: number,
  password?: string,
): Promise<{ user: User; password: string | null }> {
  const target = await getUser(deps, caller.user, id)
  const generated = password ? null : randomToken(15)
  await setPassword(deps.database, target.id, password ?? generated!)
  await deleteUserSessions(deps.database, target.id)
  await recordAudit(deps.database, caller.actor, {
    action: 'user.password-reset',
    objectType: 'user',
    objectId: target.id,
  })
  return { user: target, password: generated }
}

/** Removes a user and, with it, everything it owns (each area removes its own). */
async function purgeUser(deps: Deps, actor: Actor, user: User): Promise<void> {
  for (const holding of await holdingsOf(deps.database, user.id)) {
    await ownedResource(holding.kind)?.removeAll?.(deps, user.id, actor)
  }
  await deleteUserRow(deps.database, user.id)
  await recordAudit(deps.database, actor, {
    action: 'user.delete',
    objectType: 'user',
    objectId: user.id,
    before: publicUser(user),
  })
}

/**
 * Deletes a user. Refused (409, listing them) while it owns anything, unless `confirm`
 * is its username: then everything it owns goes with it.
 */
export async function deleteUserAccount(
  deps: Deps,
  caller: Caller,
  id: number,
  confirm?: string,
): Promise<void> {
  const target = await getUser(deps, caller.user, id)
  if (target.id === caller.user.id) throw new AppError('conflict', 'you cannot delete your own account')
  const holdings = await holdingsOf(deps.database, target.id)
  if (holdings.length > 0) {
    if (confirm !== target.username)
      throw new AppError(
        'conflict',
        `${target.username} still owns ${listHoldings(holdings)}; delete them first, or confirm by typing ${target.username} to delete them together with the account`,
        { confirm: `type ${target.username} to delete everything it owns` },
      )
    const stuck = holdings.filter((h) => !h.removable)
    if (stuck.length > 0)
      throw new AppError(
        'conflict',
        `${listHoldings(stuck)} of ${target.username} cannot be removed with the account; delete them first`,
      )
  }
  await purgeUser(deps, caller.actor, target)
}

registerOwnedResource({
  kind: 'users',
  label: (n) => (n === 1 ? '1 user account' : `${n} user accounts`),
  count: (database, userId) => countChildren(database, userId),
  removeAll: async (deps, userId, actor) => {
    const { rows } = await listUserRows(deps.database, { parentId: userId, offset: 0, limit: 100000 })
    for (const child of rows) await purgeUser(deps, actor, child)
  },
})
