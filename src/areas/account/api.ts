/** /api/v1/account: the caller itself; PATCH changes only its own profile fields. */
import { Hono } from 'hono'
import { registerOperation } from '../../api/openapi.ts'
import { validJson } from '../../api/validate.ts'
import { listUserTokens, publicToken } from '../../auth/api-tokens.ts'
import { callerOf, ID, idParam } from '../../auth/caller.ts'
import type { AppEnv } from '../../lib/env.ts'
import { quotaOf } from '../packages/quota.ts'
import { publicUser } from '../users/repository.ts'
import { accountUpdate, tokenCreate } from '../users/schemas.ts'
import { makeToken, revokeToken, updateProfile } from './service.ts'

export const accountApi = new Hono<AppEnv>()

accountApi.get('/', async (c) => {
  const user = c.var.user!
  return c.json({ ...publicUser(user), quota: await quotaOf(c.var.deps, user) })
})

accountApi.patch('/', validJson(accountUpdate), async (c) => {
  return c.json(publicUser(await updateProfile(c.var.deps, callerOf(c), c.req.valid('json'))))
})

accountApi.get('/tokens', async (c) => {
  const rows = await listUserTokens(c.var.deps.database, c.var.user!.id)
  return c.json({ data: rows.map(publicToken), total: rows.length })
})

accountApi.post('/tokens', validJson(tokenCreate), async (c) => {
  const { token, row } = await makeToken(c.var.deps, callerOf(c), c.req.valid('json'))
  return c.json({ ...row, token }, 201)
})

accountApi.delete(`/tokens/:id${ID}`, async (c) => {
  await revokeToken(c.var.deps, callerOf(c), idParam(c))
  return c.body(null, 204)
})

const tag = 'account'
registerOperation({
  method: 'patch',
  path: '/account',
  summary: 'Change the caller’s own profile fields (email); role and owner are not fields',
  tag,
  body: accountUpdate,
  responses: { 200: 'the caller' },
})
registerOperation({
  method: 'get',
  path: '/account/tokens',
  summary: 'The caller’s API tokens',
  tag,
  responses: { 200: '{data, total}' },
})
registerOperation({
  method: 'post',
  path: '/account/tokens',
  summary:
    'Make an API token (the token is in this answer only); refused until 2FA is on when the role requires it',
  tag,
  body: tokenCreate,
  responses: { 201: 'the token’s record with `token`' },
})
registerOperation({
  method: 'delete',
  path: '/account/tokens/{id}',
  summary: 'Revoke one of the caller’s tokens',
  tag,
  responses: { 204: 'revoked' },
})
