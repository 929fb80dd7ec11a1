/**
 * What the UI and the API do with jobs, for a caller: see them (admins all,
 * resellers theirs and their users', users their own; anything else is a 404),
 * read their logs, cancel, retry, and apply a previewed dry run. Every change is
 * audited.
 *
 * @example
 *   const job = await cancelJob(deps, callerOf(c), 42)
 */
import { z } from 'zod'
import { listQuery } from '../../api/validate.ts'
import type { Caller } from '../../auth/caller.ts'
import { canSee, tenancyOf } from '../../auth/tenancy.ts'
import type { Deps } from '../../deps.ts'
import { AppError, notFound } from '../../lib/errors.ts'
import { recordAudit } from '../audit/record.ts'
import type { User } from '../users/repository.ts'
import { repeatJob } from './enqueue.ts'
import { readJobLog } from './log.ts'
import { CANCEL_TOPIC, isFinished, JOB_STATES, type Job, publicJob } from './model.ts'
import { findJob, listJobs, requestCancel } from './repository.ts'

export const jobsQuery = listQuery
  .extend({
    state: z.enum(JOB_STATES).optional(),
    server_id: z.coerce.number().int().min(1).max(999_999_999).optional(),
    kind: z
      .string()
      .max(60)
      .regex(/^[a-z0-9._-]*$/, 'must be a job kind such as server.facts')
      .optional(),
    user_id: z.coerce.number().int().min(1).max(999_999_999).optional(),
  })
  .strict()

export type JobsQuery = z.infer<typeof jobsQuery>

export async function listVisibleJobs(deps: Deps, user: User, query: JobsQuery) {
  const scope = await tenancyOf(deps, user)
  return listJobs(deps.database, {
    requestedBy: scope.all ? null : (column) => scope.where(column),
    state: query.state,
    serverId: query.server_id,
    kind: query.kind || undefined,
    userId: query.user_id,
    q: query.q || undefined,
    page: query.page,
    perPage: query.per_page,
  })
}

/** The job if the caller may see it; another tenant's job is "not found". */
export async function visibleJob(deps: Deps, user: User, id: number): Promise<Job> {
  const job = await findJob(deps.database, id)
  if (!job || !(await canSee(deps, user, job.requestedBy))) throw notFound(`job #${id}`)
  return job
}

export async function jobLogText(deps: Deps, job: Job): Promise<string> {
  const leader =
    job.batchId !== null && job.batchId !== job.id ? await findJob(deps.database, job.batchId) : null
  return readJobLog(deps, job, leader)
}

export async function cancelJob(deps: Deps, caller: Caller, id: number): Promise<Job> {
  const before = await visibleJob(deps, caller.user, id)
  if (isFinished(before))
    throw new AppError(
      'conflict',
      `job #${id} has already ended (${before.state}); there is nothing to cancel`,
    )
  const job = (await requestCancel(deps.database, id)) ?? before
  // The runner holding it, on whichever panel process, stops its play.
  deps.events.publish(CANCEL_TOPIC, { id })
  deps.events.publish(`job:${id}`, { t: 'state', id, finished: isFinished(job) })
  await recordAudit(deps.database, caller.actor, {
    action: 'job.cancel',
    objectType: 'job',
    objectId: id,
    before: { state: before.state },
    after: { state: job.state, cancel_requested: true },
    jobId: id,
  })
  return job
}

/** A new job with the same input; `apply` turns a succeeded dry run into the real change. */
export async function retryJob(
  deps: Deps,
  caller: Caller,
  id: number,
  mode: 'retry' | 'apply',
): Promise<Job> {
  const job = await visibleJob(deps, caller.user, id)
  if (!isFinished(job))
    throw new AppError('conflict', `job #${id} is still ${job.state}; wait for it to end or cancel it`)
  if (mode === 'apply' && !(job.dryRun && job.state === 'succeeded'))
    throw new AppError(
      'conflict',
      `job #${id} is not a succeeded dry run; only a previewed change can be applied`,
    )
  const copy = await repeatJob(deps, job, { dryRun: mode === 'apply' ? false : job.dryRun })
  await recordAudit(deps.database, caller.actor, {
    action: mode === 'apply' ? 'job.apply' : 'job.retry',
    objectType: 'job',
    objectId: copy.id,
    before: { job: job.id },
    after: publicJob(copy),
    jobId: copy.id,
  })
  return copy
}
