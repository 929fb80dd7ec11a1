/**
 * The jobs table: queueing, claiming, progress, the end of a run, recovery, and the
 * scoped lists the UI and API show.
 *
 * Claiming is one UPDATE that moves the oldest runnable job from queued to running
 * and takes its server's lock in the same statement: `lock_key = 'server:<id>'` is
 * unique, so two jobs never hold one server, across panel processes too. On
 * PostgreSQL the candidate row is picked with FOR UPDATE SKIP LOCKED, so processes
 * sharing the database never claim the same job; SQLite has one writer at a time.
 */
import { and, desc, eq, inArray, lt, or, type SQL, sql } from 'drizzle-orm'
import type { AnyColumn } from 'drizzle-orm/column'
import type { Database } from '../../db/client.ts'
import type { JobRecap } from '../../db/schema/pg/jobs.ts'
import type { Job, JobState } from './model.ts'

export type NewJob = {
  kind: string
  serverId: number | null
  playbook: string
  input: Record<string, unknown>
  secrets: string | null
  requestedBy: number | null
  dryRun: boolean
  batchable: boolean
  timeoutSeconds: number
  retryOf?: number | null
}

export async function insertJobs(database: Database, jobs: NewJob[]): Promise<Job[]> {
  if (jobs.length === 0) return []
  const { t } = database
  return database.transaction(async (tx) => {
    const rows: Job[] = []
    // Chunks keep each statement well under the bind-parameter limits of both databases.
    for (let i = 0; i < jobs.length; i += 200) {
      rows.push(
        ...(await tx
          .insert(t.jobs)
          .values(jobs.slice(i, i + 200))
          .returning()),
      )
    }
    return rows
  })
}

export async function findJob(database: Database, id: number): Promise<Job | null> {
  const { db, t } = database
  const [row] = await db.select().from(t.jobs).where(eq(t.jobs.id, id)).limit(1)
  return row ?? null
}

const skipLocked = (database: Database) => (database.dialect === 'pg' ? sql` for update skip locked` : sql``)

const isUniqueViolation = (err: unknown) => {
  const e = err as { code?: string; errno?: number; message?: string; cause?: unknown }
  const cause = e.cause as { code?: string } | undefined
  return (
    e.code === '23505' ||
    cause?.code === '23505' ||
    e.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    /UNIQUE constraint failed|duplicate key value/.test(e.message ?? '')
  )
}

/**
 * Moves the oldest queued job whose server is free to running, taking the server's
 * lock. Null when nothing can start now (also when another process won the race).
 */
export async function claimNext(database: Database, runner: string): Promise<Job | null> {
  const { db, t } = database
  const now = new Date()
  try {
    const [row] = await db
      .update(t.jobs)
      .set({
        state: 'running',
        runner,
        startedAt: now,
        heartbeatAt: now,
        lockKey: sql`case when ${t.jobs.serverId} is null then null else 'server:' || ${t.jobs.serverId} end`,
      })
      .where(
        and(
          eq(t.jobs.state, 'queued'),
          sql`${t.jobs.id} = (select j.id from jobs j where j.state = 'queued' and (j.server_id is null or not exists (select 1 from jobs r where r.lock_key = 'server:' || j.server_id)) order by j.id limit 1${skipLocked(database)})`,
        ),
      )
      .returning()
    return row ?? null
  } catch (err) {
    if (isUniqueViolation(err)) return null
    throw err
  }
}

/** Joins queued jobs of the leader's kind, server, playbook and mode into its play. */
export async function claimBatch(
  database: Database,
  leader: Job,
  runner: string,
  limit: number,
): Promise<Job[]> {
  if (!leader.batchable || leader.serverId === null || limit <= 0) return []
  const { db, t } = database
  const now = new Date()
  const candidates = db
    .select({ id: t.jobs.id })
    .from(t.jobs)
    .where(
      and(
        eq(t.jobs.state, 'queued'),
        eq(t.jobs.batchable, true),
        eq(t.jobs.kind, leader.kind),
        eq(t.jobs.serverId, leader.serverId),
        eq(t.jobs.playbook, leader.playbook),
        eq(t.jobs.dryRun, leader.dryRun),
      ),
    )
    .orderBy(t.jobs.id)
    .limit(limit)
  const picked = database.dialect === 'pg' ? candidates.for('update', { skipLocked: true }) : candidates
  const rows = await db
    .update(t.jobs)
    .set({ state: 'running', runner, startedAt: now, heartbeatAt: now, batchId: leader.id })
    .where(and(eq(t.jobs.state, 'queued'), inArray(t.jobs.id, picked)))
    .returning()
  if (rows.length > 0) await db.update(t.jobs).set({ batchId: leader.id }).where(eq(t.jobs.id, leader.id))
  return rows.sort((a, b) => a.id - b.id)
}

/**
 * Records the play's process, and its start time: on PostgreSQL a claim can wait on the
 * server's lock key for another process to commit, so the claim's own clock reads early.
 */
export async function setPid(database: Database, ids: number[], pid: number): Promise<void> {
  const { db, t } = database
  await db.update(t.jobs).set({ pid, startedAt: new Date() }).where(inArray(t.jobs.id, ids))
}

export async function setProgress(
  database: Database,
  ids: number[],
  done: number,
  total: number | null,
): Promise<void> {
  const { db, t } = database
  await db.update(t.jobs).set({ tasksDone: done, tasksTotal: total }).where(inArray(t.jobs.id, ids))
}

/** Marks the jobs this runner is running alive; answers the ids whose cancel was requested meanwhile. */
export async function heartbeat(database: Database, runner: string, ids: number[]): Promise<number[]> {
  if (ids.length === 0) return []
  const { db, t } = database
  const mine = and(eq(t.jobs.runner, runner), eq(t.jobs.state, 'running'), inArray(t.jobs.id, ids))
  await db.update(t.jobs).set({ heartbeatAt: new Date() }).where(mine)
  const rows = await db
    .select({ id: t.jobs.id })
    .from(t.jobs)
    .where(and(mine, eq(t.jobs.cancelRequested, true)))
  return rows.map((r) => r.id)
}

export type JobEnd = {
  state: Extract<JobState, 'succeeded' | 'failed' | 'cancelled' | 'interrupted'>
  exitCode: number | null
  recap: JobRecap | null
  summary: string
  result: Record<string, unknown> | null
  tasksDone: number
  tasksTotal: number | null
  logText: string | null
}

/** Ends a run for every job of its play and releases the server lock. */
export async function finishJobs(database: Database, ids: number[], end: JobEnd): Promise<Job[]> {
  const { db, t } = database
  return db
    .update(t.jobs)
    .set({ ...end, lockKey: null, finishedAt: new Date() })
    .where(and(inArray(t.jobs.id, ids), eq(t.jobs.state, 'running')))
    .returning()
}

/**
 * Cancels a queued job at once; for a running one records the request (the runner
 * holding it stops the process). Answers the job as it is now, or null if unknown.
 */
export async function requestCancel(database: Database, id: number): Promise<Job | null> {
  const { db, t } = database
  const [queued] = await db
    .update(t.jobs)
    .set({
      state: 'cancelled',
      cancelRequested: true,
      finishedAt: new Date(),
      summary: 'cancelled before it started',
    })
    .where(and(eq(t.jobs.id, id), eq(t.jobs.state, 'queued')))
    .returning()
  if (queued) return queued
  const [running] = await db
    .update(t.jobs)
    .set({ cancelRequested: true })
    .where(and(eq(t.jobs.id, id), eq(t.jobs.state, 'running')))
    .returning()
  return running ?? findJob(database, id)
}

export async function runningJobs(database: Database): Promise<Job[]> {
  const { db, t } = database
  return db.select().from(t.jobs).where(eq(t.jobs.state, 'running'))
}

/** Marks running jobs interrupted (their runner is gone) and frees their servers. */
export async function interruptJobs(database: Database, ids: number[], summary: string): Promise<Job[]> {
  if (ids.length === 0) return []
  const { db, t } = database
  return db
    .update(t.jobs)
    .set({ state: 'interrupted', lockKey: null, finishedAt: new Date(), summary })
    .where(and(inArray(t.jobs.id, ids), eq(t.jobs.state, 'running')))
    .returning()
}

/** Running jobs whose runner has not been heard of since `before`. */
export async function staleJobs(database: Database, before: Date): Promise<Job[]> {
  const { db, t } = database
  return db
    .select()
    .from(t.jobs)
    .where(and(eq(t.jobs.state, 'running'), lt(t.jobs.heartbeatAt, before)))
}

export type JobFilter = {
  /** The requesters whose jobs the caller sees; null for everything (admins). */
  requestedBy: ((column: AnyColumn) => SQL | undefined) | null
  state?: JobState
  serverId?: number
  kind?: string
  userId?: number
  q?: string
  page: number
  perPage: number
}

export async function listJobs(
  database: Database,
  filter: JobFilter,
): Promise<{ rows: Job[]; total: number }> {
  const { db, t } = database
  const conditions: (SQL | undefined)[] = [
    filter.requestedBy?.(t.jobs.requestedBy),
    filter.state ? eq(t.jobs.state, filter.state) : undefined,
    filter.serverId !== undefined ? eq(t.jobs.serverId, filter.serverId) : undefined,
    filter.kind ? eq(t.jobs.kind, filter.kind) : undefined,
    filter.userId !== undefined ? eq(t.jobs.requestedBy, filter.userId) : undefined,
  ]
  if (filter.q) {
    const pattern = `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
    const matches = (column: AnyColumn) => sql`${column} like ${pattern} escape '\\'`
    conditions.push(
      or(
        matches(t.jobs.kind),
        matches(t.jobs.playbook),
        matches(t.jobs.summary),
        /^\d+$/.test(filter.q) ? eq(t.jobs.id, Number(filter.q)) : undefined,
      ),
    )
  }
  const where = and(...conditions)
  const [count] = await db.select({ n: sql<number>`count(*)` }).from(t.jobs).where(where)
  const rows = await db
    .select()
    .from(t.jobs)
    .where(where)
    .orderBy(desc(t.jobs.id))
    .limit(filter.perPage)
    .offset((filter.page - 1) * filter.perPage)
  return { rows, total: Number(count?.n ?? 0) }
}

/** The distinct kinds in the table, for the list's filter. */
export async function jobKinds(database: Database): Promise<string[]> {
  const { db, t } = database
  const rows = await db.selectDistinct({ kind: t.jobs.kind }).from(t.jobs).orderBy(t.jobs.kind)
  return rows.map((r) => r.kind)
}
