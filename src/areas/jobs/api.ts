/**
 * /api/v1/jobs: the list ({data,total}, filtered by state, server, kind and user),
 * one job, its log as text/plain, cancel, retry and apply (a previewed dry run).
 * Scoped like the UI: another tenant's job is a 404.
 */
import { Hono } from 'hono'
import { z } from 'zod'
import { registerOperation } from '../../api/openapi.ts'
import { validQuery } from '../../api/validate.ts'
import { callerOf, ID, idParam } from '../../auth/caller.ts'
import type { AppEnv } from '../../lib/env.ts'
import { publicJob } from './model.ts'
import { cancelJob, jobLogText, jobsQuery, listVisibleJobs, retryJob, visibleJob } from './service.ts'

export const jobsApi = new Hono<AppEnv>()

jobsApi.get('/', validQuery(jobsQuery), async (c) => {
  const { rows, total } = await listVisibleJobs(c.var.deps, c.var.user!, c.req.valid('query'))
  return c.json({ data: rows.map(publicJob), total })
})

jobsApi.get(`/:id${ID}`, async (c) =>
  c.json(publicJob(await visibleJob(c.var.deps, c.var.user!, idParam(c)))),
)

jobsApi.get(`/:id${ID}/log`, async (c) => {
  const job = await visibleJob(c.var.deps, c.var.user!, idParam(c))
  c.header('Content-Type', 'text/plain; charset=utf-8')
  c.header('X-Content-Type-Options', 'nosniff')
  return c.body(await jobLogText(c.var.deps, job))
})

jobsApi.post(`/:id${ID}/cancel`, async (c) => {
  const job = await cancelJob(c.var.deps, callerOf(c), idParam(c))
  return c.json({ job: publicJob(job) }, 202)
})

jobsApi.post(`/:id${ID}/retry`, async (c) => {
  const job = await retryJob(c.var.deps, callerOf(c), idParam(c), 'retry')
  return c.json({ job: publicJob(job) }, 202)
})

jobsApi.post(`/:id${ID}/apply`, async (c) => {
  const job = await retryJob(c.var.deps, callerOf(c), idParam(c), 'apply')
  return c.json({ job: publicJob(job) }, 202)
})

const jobAnswer = z.object({ job: z.object({ id: z.number(), state: z.string() }).loose() })

registerOperation({
  method: 'get',
  path: '/jobs',
  summary: 'Jobs, newest first: admins see all, resellers theirs and their users’, users their own',
  tag: 'jobs',
  query: jobsQuery,
  responses: { 200: '{data, total}: id, kind, server_id, state, dry_run, recap, summary, timestamps…' },
})
registerOperation({
  method: 'get',
  path: '/jobs/{id}',
  summary:
    'One job: state queued|running|succeeded|failed|cancelled|interrupted, recap, input (secrets redacted)',
  tag: 'jobs',
  responses: { 200: 'the job' },
})
registerOperation({
  method: 'get',
  path: '/jobs/{id}/log',
  summary: 'The job’s Ansible log (text/plain); secrets never appear in it',
  tag: 'jobs',
  responses: { 200: 'text/plain' },
})
registerOperation({
  method: 'post',
  path: '/jobs/{id}/cancel',
  summary: 'Cancel a queued or running job (SIGTERM, then SIGKILL, to its whole process group)',
  tag: 'jobs',
  responses: {
    202: { description: '{job}: cancelled, or running with cancel_requested', schema: jobAnswer },
    409: 'already ended',
  },
})
registerOperation({
  method: 'post',
  path: '/jobs/{id}/retry',
  summary: 'A new job with the same input (and mode) as an ended one',
  tag: 'jobs',
  responses: { 202: { description: '{job}: the new job', schema: jobAnswer }, 409: 'still running' },
})
registerOperation({
  method: 'post',
  path: '/jobs/{id}/apply',
  summary: 'Apply a succeeded dry run: the same play without --check',
  tag: 'jobs',
  responses: {
    202: { description: '{job}: the new job', schema: jobAnswer },
    409: 'not a succeeded dry run',
  },
})
