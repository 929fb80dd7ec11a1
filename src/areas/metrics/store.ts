/**
 * The metrics repository: raw samples (a short window), the packed 1-minute and 1-hour
 * roll-ups, and each server's last full sample. Every query goes through a primary key
 * (server_id, time); the per-sample ones are prepared once per database.
 */
import { and, asc, eq, gte, inArray, lt, sql } from 'drizzle-orm'
import type { Database } from '../../db/client.ts'
import {
  averagePoints,
  DAY_MS,
  emptyChunk,
  floorTo,
  HOUR_MS,
  MINUTE_MS,
  type Point,
  readSlot,
  readSlots,
  type TimedPoint,
  writeSlot,
} from './chunk.ts'
import type { Sample } from './collector.ts'

export type RawRow = Point & { serverId: number; at: Date }

/** The headline numbers of a full sample: the fullest mount stands for "disk". */
export function pointOf(sample: Sample): Point {
  return {
    cpu: sample.cpu_percent,
    memory: sample.memory.percent,
    swap: sample.swap.percent,
    disk: sample.mounts.reduce((max, m) => Math.max(max, m.percent), 0),
    load1: sample.load[0],
    netRx: sample.net_rx_bps,
    netTx: sample.net_tx_bps,
    diskRead: sample.disk_read_bps,
    diskWrite: sample.disk_write_bps,
  }
}

/** The per-sample query, prepared once per database. */
function buildStatements(database: Database) {
  const { db, t } = database
  const s = t.metricSamples
  return {
    raw: db
      .select()
      .from(s)
      .where(
        and(
          eq(s.serverId, sql.placeholder('server')),
          gte(s.at, sql.placeholder('since')),
          lt(s.at, sql.placeholder('until')),
        ),
      )
      .orderBy(asc(s.at))
      .prepare('metric_samples_range'),
  }
}

const statements = new WeakMap<Database, ReturnType<typeof buildStatements>>()

function prepared(database: Database) {
  let cached = statements.get(database)
  if (!cached) {
    cached = buildStatements(database)
    statements.set(database, cached)
  }
  return cached
}

const BATCH = 400

/** Stores raw samples (a duplicate server+time is ignored, so an agent may resend). */
export async function insertRaw(database: Database, rows: readonly RawRow[]): Promise<void> {
  const { db, t } = database
  for (let i = 0; i < rows.length; i += BATCH) {
    await db
      .insert(t.metricSamples)
      .values(rows.slice(i, i + BATCH))
      .onConflictDoNothing()
  }
}

export type LatestRow = { serverId: number; at: Date; intervalSeconds: number; sample: Sample }

/** Keeps each server's newest full sample (an older one arriving late changes nothing). */
export async function upsertLatest(database: Database, rows: readonly LatestRow[]): Promise<void> {
  if (rows.length === 0) return
  const { db, t } = database
  const l = t.metricLatest
  for (let i = 0; i < rows.length; i += BATCH) {
    await db
      .insert(l)
      .values(rows.slice(i, i + BATCH))
      .onConflictDoUpdate({
        target: l.serverId,
        set: {
          at: sql.raw('excluded.at'),
          intervalSeconds: sql.raw('excluded.interval_seconds'),
          sample: sql.raw('excluded.sample'),
        },
        setWhere: sql`${l.at} < excluded.at`,
      })
  }
}

export async function latestSample(
  database: Database,
  serverId: number,
): Promise<{ at: Date; intervalSeconds: number; sample: Sample } | null> {
  const { db, t } = database
  const [row] = await db.select().from(t.metricLatest).where(eq(t.metricLatest.serverId, serverId)).limit(1)
  return row ? { at: row.at, intervalSeconds: row.intervalSeconds, sample: row.sample as Sample } : null
}

export async function allLatest(database: Database) {
  const { db, t } = database
  const rows = await db.select().from(t.metricLatest)
  return rows.map((r) => ({ ...r, sample: r.sample as Sample }))
}

export async function rawPoints(
  database: Database,
  serverId: number,
  since: number,
  until: number,
): Promise<TimedPoint[]> {
  // Placeholder values skip the column's encoder: hand over the driver's own form of a time.
  const at = database.t.metricSamples.at
  const rows = (await prepared(database).raw.execute({
    server: serverId,
    since: at.mapToDriverValue(new Date(since)),
    until: at.mapToDriverValue(new Date(until)),
  })) as RawRow[]
  return rows.map(({ serverId: _, at, ...point }) => ({ at: at.getTime(), ...point }))
}

/**
 * Rolls the raw samples of one minute into the server's minute chunk, then refreshes
 * that hour's slot in the day chunk. Idempotent: run it again and nothing changes.
 */
export async function rollUpMinute(database: Database, serverId: number, minute: number): Promise<boolean> {
  const raw = await rawPoints(database, serverId, minute, minute + MINUTE_MS)
  const average = averagePoints(raw)
  if (!average) return false
  const hour = floorTo(minute, HOUR_MS)
  const day = floorTo(minute, DAY_MS)
  await database.transaction(async (tx) => {
    const minuteChunk = await lockedChunk(database, tx, 'minute', serverId, hour, 60)
    writeSlot(minuteChunk, (minute - hour) / MINUTE_MS, average)
    await saveChunk(database, tx, 'minute', serverId, hour, minuteChunk)
    const filled: Point[] = []
    for (let slot = 0; slot < 60; slot++) {
      const point = readSlot(minuteChunk, slot)
      if (point) filled.push(point)
    }
    const hourChunk = await lockedChunk(database, tx, 'hour', serverId, day, 24)
    writeSlot(hourChunk, (hour - day) / HOUR_MS, averagePoints(filled)!)
    await saveChunk(database, tx, 'hour', serverId, day, hourChunk)
  })
  return true
}

/** Reads a chunk for update (a row lock on PostgreSQL; SQLite transactions already write alone). */
async function lockedChunk(
  database: Database,
  tx: Database['db'],
  kind: 'minute' | 'hour',
  serverId: number,
  startAt: number,
  slots: number,
): Promise<Buffer> {
  const table = kind === 'minute' ? database.t.metricMinutes : database.t.metricHours
  const query = tx
    .select({ points: table.points })
    .from(table)
    .where(and(eq(table.serverId, serverId), eq(table.startAt, new Date(startAt))))
  const [row] = database.dialect === 'pg' ? await query.for('update') : await query
  return row ? Buffer.from(row.points) : emptyChunk(slots)
}

async function saveChunk(
  database: Database,
  tx: Database['db'],
  kind: 'minute' | 'hour',
  serverId: number,
  startAt: number,
  points: Buffer,
): Promise<void> {
  const table = kind === 'minute' ? database.t.metricMinutes : database.t.metricHours
  await tx
    .insert(table)
    .values({ serverId, startAt: new Date(startAt), points })
    .onConflictDoUpdate({ target: [table.serverId, table.startAt], set: { points } })
}

export type Step = 'raw' | 'minute' | 'hour'

/** History of one server from `since` to `until` at the given step, oldest first. */
export async function history(
  database: Database,
  serverId: number,
  step: Step,
  since: number,
  until: number,
): Promise<TimedPoint[]> {
  if (step === 'raw') return rawPoints(database, serverId, since, until)
  const { db, t } = database
  const table = step === 'minute' ? t.metricMinutes : t.metricHours
  const chunkMs = step === 'minute' ? HOUR_MS : DAY_MS
  const slotMs = step === 'minute' ? MINUTE_MS : HOUR_MS
  const rows = await db
    .select()
    .from(table)
    .where(
      and(
        eq(table.serverId, serverId),
        gte(table.startAt, new Date(floorTo(since, chunkMs))),
        lt(table.startAt, new Date(until)),
      ),
    )
    .orderBy(asc(table.startAt))
  const points: TimedPoint[] = []
  for (const row of rows) {
    for (const point of readSlots(Buffer.from(row.points), row.startAt.getTime(), slotMs)) {
      if (point.at >= since && point.at < until) points.push(point)
    }
  }
  return points
}

/** Drops what is past its retention, server by server through the primary keys. */
export async function prune(
  database: Database,
  serverIds: readonly number[],
  cutoffs: { raw: number; minute: number; hour: number },
): Promise<void> {
  const { db, t } = database
  for (const id of serverIds) {
    await db
      .delete(t.metricSamples)
      .where(and(eq(t.metricSamples.serverId, id), lt(t.metricSamples.at, new Date(cutoffs.raw))))
    await db
      .delete(t.metricMinutes)
      .where(
        and(
          eq(t.metricMinutes.serverId, id),
          lt(t.metricMinutes.startAt, new Date(cutoffs.minute - HOUR_MS)),
        ),
      )
    await db
      .delete(t.metricHours)
      .where(and(eq(t.metricHours.serverId, id), lt(t.metricHours.startAt, new Date(cutoffs.hour - DAY_MS))))
  }
}

/** Everything the metrics area keeps about a server (when the server is deleted). */
export async function deleteServerMetrics(database: Database, serverId: number): Promise<void> {
  const { db, t } = database
  await db.delete(t.metricSamples).where(eq(t.metricSamples.serverId, serverId))
  await db.delete(t.metricMinutes).where(eq(t.metricMinutes.serverId, serverId))
  await db.delete(t.metricHours).where(eq(t.metricHours.serverId, serverId))
  await db.delete(t.metricLatest).where(eq(t.metricLatest.serverId, serverId))
  await db.delete(t.agentTokens).where(eq(t.agentTokens.serverId, serverId))
}

export async function touchServers(database: Database, ids: readonly number[], at: Date): Promise<void> {
  if (ids.length === 0) return
  const { db, t } = database
  await db
    .update(t.servers)
    .set({ lastSeenAt: at, status: 'online' })
    .where(inArray(t.servers.id, [...ids]))
}
