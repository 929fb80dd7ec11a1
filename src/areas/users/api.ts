/** /api/v1/users: the users area over the JSON API, with the UI's permission rules. */
import { Hono } from 'hono'
import { z } from 'zod'
import { registerOperation } from '../../api/openapi.ts'
import { validJson, validQuery } from '../../api/validate.ts'
import { callerOf, ID, idParam } from '../../auth/caller.ts'
import type { AppEnv } from '../../lib/env.ts'
import { publicUser } from './repository.ts'
import { passwordReset, userCreate, userDeleteQuery, userListQuery, userUpdate } from './schemas.ts'
import {
  createUserAccount,
  deleteUserAccount,
  getUser,
  listUsers,
  resetUserPassword,
  updateUserAccount,
} from './service.ts'

export const usersApi = new Hono<AppEnv>()

usersApi.get('/', validQuery(userListQuery), async (c) => {
  const { rows, total } = await listUsers(c.var.deps, c.var.user!, c.req.valid('query'))
  return c.json({ data: rows.map(publicUser), total })
})

usersApi.post('/', validJson(userCreate), async (c) => {
  const { user, password } = await createUserAccount(c.var.deps, callerOf(c), c.req.valid('json'))
  return c.json({ ...publicUser(user), ...(password ? { password } : {}) }, 201)
})

usersApi.get(`/:id${ID}`, async (c) => {
  return c.json(publicUser(await getUser(c.var.deps, c.var.user!, idParam(c))))
})

usersApi.patch(`/:id${ID}`, validJson(userUpdate), async (c) => {
  return c.json(publicUser(await updateUserAccount(c.var.deps, callerOf(c), idParam(c), c.req.valid('json'))))
})

usersApi.delete(`/:id${ID}`, validQuery(userDeleteQuery), async (c) => {
  await deleteUserAccount(c.var.deps, callerOf(c), idParam(c), c.req.valid('query').confirm)
  return c.body(null, 204)
})

usersApi.post(`/:id${ID}/password`, validJson(passwordReset), async (c) => {
  const { user, password } = await resetUserPassword(
    c.var.deps,
    callerOf(c),
    idParam(c),
    c.req.valid('json').password,
  )
  return c.json({ user: publicUser(user), ...(password ? { password } : {}) })
})

const userOut = z.object({
  id: z.number(),
  username: z.string(),
  email: z.string().nullable(),
  role: z.enum(['admin', 'reseller', 'user']),
  status: z.enum(['active', 'disabled']),
  parent_id: z.number().nullable(),
  package_id: z.number().nullable(),
  totp_enabled: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
})

const tag = 'users'
registerOperation({
  method: 'get',
  path: '/users',
  summary: 'List the users the caller manages (admins: all; resellers: their own users)',
  tag,
  query: userListQuery,
  responses: {
    200: { description: '{data, total}', schema: z.object({ data: z.array(userOut), total: z.number() }) },
  },
})
registerOperation({
  method: 'post',
  path: '/users',
  summary: 'Create a user (a reseller creates users it owns; the generated password is in this answer only)',
  tag,
  body: userCreate,
  responses: {
    201: { description: 'the user', schema: userOut.extend({ password: z.string().optional() }) },
    409: 'the username is taken, or the package is over the reseller’s allowance',
  },
})
registerOperation({
  method: 'get',
  path: '/users/{id}',
  summary: 'One user',
  tag,
  responses: { 200: { description: 'the user', schema: userOut } },
})
registerOperation({
  method: 'patch',
  path: '/users/{id}',
  summary: 'Edit a user: email, role (admins), status (activate/deactivate), package',
  tag,
  body: userUpdate,
  responses: { 200: { description: 'the user', schema: userOut }, 409: 'not allowed in this state' },
})
registerOperation({
  method: 'delete',
  path: '/users/{id}',
  summary: 'Delete a user; refused (409, listing what it owns) unless ?confirm=<username> cascades',
  tag,
  query: userDeleteQuery,
  responses: { 204: 'deleted', 409: 'the user still owns resources' },
})
registerOperation({
  method: 'post',
  path: '/users/{id}/password',
  summary: 'Set or generate a new password; ends the user’s sessions',
  tag,
  body: passwordReset,
  responses: { 200: 'the user, and the generated password when none was given' },
})
