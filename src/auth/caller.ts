/**
 * The caller of a domain operation: the signed-in user (from a session or an API
 * token) and the actor its audit rows name. Domain code takes a Caller instead of a
 * Hono context, so the UI, the API and the CLI share it.
 *
 * @example
 *   const user = await createUserAccount(deps, callerOf(c), input)
 */
import type { Context } from 'hono'
import type { Actor } from '../areas/audit/record.ts'
import type { User } from '../areas/users/repository.ts'
import { type AppEnv, actorOf } from '../lib/env.ts'
import { AppError } from '../lib/errors.ts'

export type Caller = { user: User; actor: Actor }

export function callerOf(c: Context<AppEnv>): Caller {
  const user = c.var.user
  if (!user) throw new AppError('unauthorized', 'sign in first')
  return { user, actor: actorOf(c.var) }
}

/** Route parameter pattern for numeric ids: at most 9 digits, so it always fits an integer column. */
export const ID = '{[0-9]{1,9}}'

export function idParam(c: Context<AppEnv>, name = 'id'): number {
  return Number(c.req.param(name))
}
