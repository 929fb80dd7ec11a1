/**
 * The server jobs the API offers (admins only): POST /servers/{id}/facts gathers OS
 * facts onto the server, POST /servers/{id}/bootstrap installs and starts the chosen
 * components. Both answer 202 with the server and the job, and accept `dry_run`.
 */
import type { Context } from 'hono'
import { Hono } from 'hono'
import { z } from 'zod'
import { registerOperation } from '../../api/openapi.ts'
import { invalid } from '../../api/validate.ts'
import type { Caller } from '../../auth/caller.ts'
import { callerOf, ID, idParam } from '../../auth/caller.ts'
import { requireRole } from '../../auth/middleware.ts'
import type { Deps } from '../../deps.ts'
import type { AppEnv } from '../../lib/env.ts'
import { AppError } from '../../lib/errors.ts'
import { recordAudit } from '../audit/record.ts'
import type { Server } from '../servers/repository.ts'
import { getServer, publicServer } from '../servers/service.ts'
import { type Job, publicJob } from './model.ts'
import { bootstrapServer, COMPONENTS, gatherFacts } from './server-jobs.ts'

export const factsBody = z.object({ dry_run: z.boolean().optional() }).strict()
export const bootstrapBody = z
  .object({
    components: z.array(z.enum(COMPONENTS)).min(1, 'choose at least one component').max(4),
    php_versions: z
      .array(z.string().regex(/^\d\.\d$/, 'must be a PHP version such as 8.2'))
      .max(6)
      .optional(),
    dry_run: z.boolean().optional(),
  })
  .strict()

/** A JSON body that may be empty (then {}), checked by `schema`. */
async function optionalJson<T extends z.ZodType>(c: Context<AppEnv>, schema: T): Promise<z.infer<T>> {
  const text = await c.req.text()
  let value: unknown = {}
  if (text.trim()) {
    try {
      value = JSON.parse(text)
    } catch {
      throw new AppError('bad-request', 'the body is not valid JSON')
    }
  }
  const parsed = schema.safeParse(value)
  if (!parsed.success) throw invalid(parsed.error)
  return parsed.data
}

export async function auditServerJob(deps: Deps, caller: Caller, action: string, server: Server, job: Job) {
  await recordAudit(deps.database, caller.actor, {
    action,
    objectType: 'server',
    objectId: server.id,
    after: { job: job.id, dry_run: job.dryRun, input: job.input },
    jobId: job.id,
  })
}

export const serverJobsApi = new Hono<AppEnv>()

// Per route, not use(): this sub-app shares the /servers prefix with the servers area.
const adminOnly = requireRole('admin')

serverJobsApi.post(`/:id${ID}/facts`, adminOnly, async (c) => {
  const { deps } = c.var
  const caller = callerOf(c)
  const body = await optionalJson(c, factsBody)
  const server = await getServer(deps, idParam(c))
  const job = await gatherFacts(deps, server.id, { requestedBy: caller.user.id, dryRun: body.dry_run })
  await auditServerJob(deps, caller, 'server.facts', server, job)
  return c.json({ server: publicServer(server), job: publicJob(job) }, 202)
})

serverJobsApi.post(`/:id${ID}/bootstrap`, adminOnly, async (c) => {
  const { deps } = c.var
  const caller = callerOf(c)
  const body = await optionalJson(c, bootstrapBody)
  const server = await getServer(deps, idParam(c))
  const job = await bootstrapServer(deps, server.id, {
    components: body.components,
    phpVersions: body.php_versions,
    requestedBy: caller.user.id,
    dryRun: body.dry_run,
  })
  await auditServerJob(deps, caller, 'server.bootstrap', server, job)
  return c.json({ server: publicServer(server), job: publicJob(job) }, 202)
})

const accepted = z.object({
  server: z.object({ id: z.number() }).loose(),
  job: z.object({ id: z.number() }).loose(),
})

registerOperation({
  method: 'post',
  path: '/servers/{id}/facts',
  summary: 'Gather OS facts (distribution, PHP versions, nginx version, database servers) onto the server',
  tag: 'servers',
  body: factsBody,
  responses: { 202: { description: '{server, job}', schema: accepted } },
})
registerOperation({
  method: 'post',
  path: '/servers/{id}/bootstrap',
  summary: 'Install and start nginx, php-fpm, MariaDB and/or PostgreSQL (only what is missing)',
  tag: 'servers',
  body: bootstrapBody,
  responses: { 202: { description: '{server, job}', schema: accepted } },
})
