import { index, integer, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core'
import { bool, createdAt, id, json, time } from './columns.ts'

export type JobRecap = { ok: number; changed: number; failed: number; unreachable: number; skipped: number }

export const jobs = pgTable(
  'jobs',
  {
    id: id(),
    kind: text('kind').notNull(),
    serverId: integer('server_id'),
    playbook: text('playbook').notNull(),
    /** What the playbook receives; secrets are kept out of here (see jobs/secrets). */
    input: json<Record<string, unknown>>('input').notNull(),
    requestedBy: integer('requested_by'),
    state: text('state', { enum: ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted'] })
      .notNull()
      .default('queued'),
    dryRun: bool('dry_run').notNull().default(false),
    exitCode: integer('exit_code'),
    recap: json<JobRecap>('recap'),
    summary: text('summary'),
    /** Which panel process runs it (host:pid:boot), so a restart can tell its own dead jobs. */
    runner: text('runner'),
    pid: integer('pid'),
    retryOf: integer('retry_of'),
    cancelRequested: bool('cancel_requested').notNull().default(false),
    /** Sealed (secret box) JSON of the secrets the playbook receives; never shown, never logged. */
    secrets: text('secrets'),
    /** Jobs of one kind, server and playbook the runner may join into one play (item 9 of issue 5). */
    batchable: bool('batchable').notNull().default(false),
    /** The job whose play this one ran in (itself for the first); its log is that job's log. */
    batchId: integer('batch_id'),
    /** 'server:<id>' while the job holds that server; unique, so two jobs never run on one host. */
    lockKey: text('lock_key'),
    timeoutSeconds: integer('timeout_seconds').notNull().default(1800),
    heartbeatAt: time('heartbeat_at'),
    tasksDone: integer('tasks_done').notNull().default(0),
    tasksTotal: integer('tasks_total'),
    /** What the playbook reported through set_stats (e.g. gathered facts). */
    result: json<Record<string, unknown>>('result'),
    /** The finished log, kept in the database so every panel process can show it. */
    logText: text('log_text'),
    createdAt: createdAt(),
    startedAt: time('started_at'),
    finishedAt: time('finished_at'),
  },
  (t) => [
    index('jobs_state_idx').on(t.state),
    index('jobs_server_idx').on(t.serverId),
    index('jobs_created_idx').on(t.createdAt),
    index('jobs_requested_by_idx').on(t.requestedBy),
    uniqueIndex('jobs_lock_key_unique').on(t.lockKey),
  ],
)
