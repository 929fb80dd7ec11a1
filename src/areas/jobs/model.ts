/**
 * What a job is: its states, the kinds other areas register (label, timeout, what to
 * do when a job of that kind ends), and the shape a job takes in the API and UI
 * (snake_case, input with secrets redacted, never the sealed secrets).
 *
 * @example
 *   registerJobKind({ kind: 'website.apply', label: 'Apply websites', timeoutSeconds: 900,
 *     onFinished: async (deps, job) => markWebsites(deps, job) })
 */
import type { Tables } from '../../db/client.ts'
import type { Deps } from '../../deps.ts'
import { redact } from '../audit/record.ts'

export type Job = Tables['jobs']['$inferSelect']
export type JobState = Job['state']

export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted'] as const
export const FINISHED_STATES: ReadonlySet<JobState> = new Set([
  'succeeded',
  'failed',
  'cancelled',
  'interrupted',
])
export const isFinished = (job: Pick<Job, 'state'>) => FINISHED_STATES.has(job.state)

export type JobKind = {
  kind: string
  /** How the operator calls it: "Gather facts". */
  label: string
  /** Longer runs are stopped (SIGTERM, then SIGKILL) and fail with a timeout message. */
  timeoutSeconds: number
  /**
   * Runs in the panel process that saw the job end, whatever the end (also
   * `interrupted`, seen by the process that recovers it). When a play ends normally it
   * runs before the end is recorded, so a job seen as succeeded has had its effect on
   * the area's own rows. Errors are logged, not thrown.
   */
  onFinished?: (deps: Deps, job: Job) => Promise<void>
}

export const DEFAULT_TIMEOUT_SECONDS = 1800

/** Event topics: a job was queued (runners look for work), a cancel was asked for (its runner stops it). */
export const QUEUED_TOPIC = 'jobs:queued'
export const CANCEL_TOPIC = 'jobs:cancel'

const kinds = new Map<string, JobKind>()

export function registerJobKind(kind: JobKind): void {
  kinds.set(kind.kind, kind)
}

export function jobKind(kind: string): JobKind | undefined {
  return kinds.get(kind)
}

export const jobKindLabel = (kind: string) => kinds.get(kind)?.label ?? kind

/** Jobs joined into one play share the first job's log. */
export const logKeyOf = (job: Pick<Job, 'id' | 'batchId'>) => job.batchId ?? job.id

/** The job as the API shows it. */
export function publicJob(job: Job) {
  return {
    id: job.id,
    kind: job.kind,
    server_id: job.serverId,
    playbook: job.playbook,
    input: redact(job.input),
    requested_by: job.requestedBy,
    state: job.state,
    dry_run: job.dryRun,
    exit_code: job.exitCode,
    recap: job.recap,
    summary: job.summary,
    result: job.result,
    tasks_done: job.tasksDone,
    tasks_total: job.tasksTotal,
    retry_of: job.retryOf,
    batch_id: job.batchId,
    cancel_requested: job.cancelRequested,
    timeout_seconds: job.timeoutSeconds,
    created_at: job.createdAt.toISOString(),
    started_at: job.startedAt?.toISOString() ?? null,
    finished_at: job.finishedAt?.toISOString() ?? null,
  }
}

export type PublicJob = ReturnType<typeof publicJob>
