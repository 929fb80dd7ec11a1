/** /api/v1/packages: hosting packages over the JSON API. */
import { Hono } from 'hono'
import { z } from 'zod'
import { registerOperation } from '../../api/openapi.ts'
import { listQuery, validJson, validQuery } from '../../api/validate.ts'
import { callerOf, ID, idParam } from '../../auth/caller.ts'
import type { AppEnv } from '../../lib/env.ts'
import { publicPackage, usersOfPackage } from './repository.ts'
import { packageCreate, packageUpdate } from './schemas.ts'
import { createPackage, deletePackage, getPackage, listPackages, updatePackage } from './service.ts'

export const packagesApi = new Hono<AppEnv>()

packagesApi.get('/', validQuery(listQuery), async (c) => {
  const { rows, total } = await listPackages(c.var.deps, c.var.user!, c.req.valid('query'))
  return c.json({ data: rows.map((p) => publicPackage(p)), total })
})

packagesApi.post('/', validJson(packageCreate), async (c) => {
  return c.json(publicPackage(await createPackage(c.var.deps, callerOf(c), c.req.valid('json'))), 201)
})

packagesApi.get(`/:id${ID}`, async (c) => {
  const pkg = await getPackage(c.var.deps, c.var.user!, idParam(c))
  return c.json(publicPackage(pkg, await usersOfPackage(c.var.deps.database, pkg.id)))
})

packagesApi.patch(`/:id${ID}`, validJson(packageUpdate), async (c) => {
  return c.json(publicPackage(await updatePackage(c.var.deps, callerOf(c), idParam(c), c.req.valid('json'))))
})

packagesApi.delete(`/:id${ID}`, async (c) => {
  await deletePackage(c.var.deps, callerOf(c), idParam(c))
  return c.body(null, 204)
})

const packageOut = z.object({
  id: z.number(),
  name: z.string(),
  owner_id: z.number().nullable(),
  max_websites: z.number(),
  max_databases: z.number(),
  max_dns_zones: z.number(),
  disk_mb: z.number(),
  users: z.number().optional(),
  created_at: z.string(),
  updated_at: z.string(),
})

const tag = 'packages'
registerOperation({
  method: 'get',
  path: '/packages',
  summary: 'List hosting packages (admins: all; resellers: their own)',
  tag,
  query: listQuery,
  responses: {
    200: { description: '{data, total}', schema: z.object({ data: z.array(packageOut), total: z.number() }) },
  },
})
registerOperation({
  method: 'post',
  path: '/packages',
  summary: 'Create a package (a reseller’s may not exceed its own package)',
  tag,
  body: packageCreate,
  responses: {
    201: { description: 'the package', schema: packageOut },
    409: 'over the reseller’s own package, or the name is taken',
  },
})
registerOperation({
  method: 'get',
  path: '/packages/{id}',
  summary: 'One package, with the number of users it is assigned to',
  tag,
  responses: { 200: { description: 'the package', schema: packageOut } },
})
registerOperation({
  method: 'patch',
  path: '/packages/{id}',
  summary: 'Edit a package',
  tag,
  body: packageUpdate,
  responses: {
    200: { description: 'the package', schema: packageOut },
    409: 'over the reseller’s allowance',
  },
})
registerOperation({
  method: 'delete',
  path: '/packages/{id}',
  summary: 'Delete a package; refused while it is assigned to users',
  tag,
  responses: { 204: 'deleted', 409: 'the package is assigned to users' },
})
