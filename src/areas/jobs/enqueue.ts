/**
 * How other areas start host changes: a job per change, or many at once for one
 * server (`enqueueBatch`) that the runner applies in a single play. The playbook
 * gets the input as variables (or, for a batch, the list `items`, one entry per job
 * with its `job_id`); every string arrives `!unsafe`, never templated. Secrets go
 * in `secrets`: sealed in the row, merged into the vars file only, and replaced
 * by ******** in the log.
 *
 * @example
 *   const job = await enqueueJob(deps, { kind: 'server.facts', serverId: 1, playbook: 'facts.yml',
 *     input: {}, requestedBy: user.id })
 *   const jobs = await enqueueBatch(deps, { kind: 'website.apply', serverId: 1, playbook: 'website.yml',
 *     requestedBy: user.id }, sites.map((s) => ({ input: { domain: s.domain } })))
 */
import type { Deps } from '../../deps.ts'
import { AppError } from '../../lib/errors.ts'
import { DEFAULT_TIMEOUT_SECONDS, type Job, jobKind, QUEUED_TOPIC } from './model.ts'
import { insertJobs, type NewJob } from './repository.ts'
import { sealJobSecrets } from './secrets.ts'
import { unsafeVarsYaml } from './vars.ts'

export type JobRequest = {
  kind: string
  /** The server the play runs on (its lock is held while it runs); null runs on the panel's host unlocked. */
  serverId: number | null
  /** A playbook inside ansible/ ("facts.yml"); absolute paths are for tests' fixtures. */
  playbook: string
  input?: Record<string, unknown>
  secrets?: Record<string, unknown>
  requestedBy: number | null
  dryRun?: boolean
  /** Defaults to the kind's registered timeout, else 30 minutes. */
  timeoutSeconds?: number
  retryOf?: number | null
}

const PLAYBOOK = /^(?:[a-z0-9][a-z0-9_-]*\/)*[a-z0-9][a-z0-9_.-]*\.ya?ml$/

function checkRequest(request: JobRequest, input: Record<string, unknown>): void {
  if (!request.playbook.startsWith('/') && !PLAYBOOK.test(request.playbook))
    throw new AppError('internal', `the playbook name ${request.playbook} is not valid`)
  for (const key of Object.keys(input)) {
    if (key.startsWith('unipanel_') || key === 'items')
      throw new AppError('internal', `the job input may not use the reserved name ${key}`)
  }
  // Fails now, at the caller, rather than when the job runs.
  unsafeVarsYaml(input)
}

function row(
  deps: Deps,
  request: JobRequest,
  input: Record<string, unknown>,
  batchable: boolean,
  secrets?: Record<string, unknown>,
): NewJob {
  checkRequest(request, input)
  return {
    kind: request.kind,
    serverId: request.serverId,
    playbook: request.playbook,
    input,
    secrets: secrets && Object.keys(secrets).length ? sealJobSecrets(deps, secrets) : null,
    requestedBy: request.requestedBy,
    dryRun: request.dryRun ?? false,
    batchable,
    timeoutSeconds:
      request.timeoutSeconds ?? jobKind(request.kind)?.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
    retryOf: request.retryOf ?? null,
  }
}

/** Queues one job and wakes the runners (on every panel process). */
export async function enqueueJob(deps: Deps, request: JobRequest): Promise<Job> {
  const [job] = await insertJobs(deps.database, [
    row(deps, request, request.input ?? {}, false, request.secrets),
  ])
  deps.events.publish(QUEUED_TOPIC, { id: job!.id })
  return job!
}

/**
 * Queues one job per item, all for one server, kind and playbook; the runner joins
 * those still queued into one play whose `items` holds each job's input.
 */
export async function enqueueBatch(
  deps: Deps,
  request: Omit<JobRequest, 'input' | 'secrets'>,
  items: { input: Record<string, unknown>; secrets?: Record<string, unknown> }[],
): Promise<Job[]> {
  const jobs = await insertJobs(
    deps.database,
    items.map((item) => row(deps, request, item.input, true, item.secrets)),
  )
  if (jobs.length) deps.events.publish(QUEUED_TOPIC, { ids: jobs.map((j) => j.id) })
  return jobs
}

/** A new job with the same input: a retry, or (dryRun false) the apply after a preview. */
export async function repeatJob(deps: Deps, job: Job, options: { dryRun?: boolean } = {}): Promise<Job> {
  const [copy] = await insertJobs(deps.database, [
    {
      kind: job.kind,
      serverId: job.serverId,
      playbook: job.playbook,
      input: job.input,
      secrets: job.secrets,
      requestedBy: job.requestedBy,
      dryRun: options.dryRun ?? job.dryRun,
      batchable: job.batchable,
      timeoutSeconds: job.timeoutSeconds,
      retryOf: job.id,
    },
  ])
  deps.events.publish(QUEUED_TOPIC, { id: copy!.id })
  return copy!
}
