import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core'
import { bool, createdAt, id, json, time } from './columns.ts'

export type JobRecap = { ok: number; changed: number; failed: number; unreachable: number; skipped: number }

export const jobs = sqliteTable(
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
    createdAt: createdAt(),
    startedAt: time('started_at'),
    finishedAt: time('finished_at'),
  },
  (t) => [
    index('jobs_state_idx').on(t.state),
    index('jobs_server_idx').on(t.serverId),
    index('jobs_created_idx').on(t.createdAt),
  ],
)
