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

/**
 * The two writes every sample leads to, as one statement per batch whose only parameter
 * is the batch as JSON: the SQL text never changes (prepared once), and building it costs
 * nothing per row — building a multi-row insert through the query builder cost about
 * 12 µs a row. This is dialect-specific SQL, so it lives here.
 */
const COLUMNS = 'server_id, at, cpu, memory, swap, disk, load1, net_rx, net_tx, disk_read, disk_write'
const SQL = {
  sqlite: {
    raw: `insert into metric_samples (${COLUMNS})
      select value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, value->>7, value->>8, value->>9, value->>10
      from json_each(?) where true on conflict do nothing`,
    latest: `insert into metric_latest (server_id, at, interval_seconds, sample)
      select value->>0, value->>1, value->>2, json(value->>3) from json_each(?) where true
      on conflict (server_id) do update set at = excluded.at, interval_seconds = excluded.interval_seconds, sample = excluded.sample
      where metric_latest.at < excluded.at`,
  },
  pg: {
    raw: `insert into metric_samples (${COLUMNS})
      select (r->>0)::int, to_timestamp((r->>1)::double precision / 1000), (r->>2)::real, (r->>3)::real, (r->>4)::real,
        (r->>5)::real, (r->>6)::real, (r->>7)::real, (r->>8)::real, (r->>9)::real, (r->>10)::real
      from jsonb_array_elements($1::jsonb) as r on conflict do nothing`,
    latest: `insert into metric_latest (server_id, at, interval_seconds, sample)
      select (r->>0)::int, to_timestamp((r->>1)::double precision / 1000), (r->>2)::int, (r->>3)::jsonb
      from jsonb_array_elements($1::jsonb) as r
      on conflict (server_id) do update set at = excluded.at, interval_seconds = excluded.interval_seconds, sample = excluded.sample
      where metric_latest.at < excluded.at`,
  },
}

type SqliteClient = { prepare(sql: string): { run(...params: unknown[]): unknown } }
const sqliteStatements = new WeakMap<
  Database,
  Record<'raw' | 'latest', { run(...params: unknown[]): unknown }>
>()

async function runBatch(database: Database, kind: 'raw' | 'latest', rows: unknown[][]): Promise<void> {
  if (rows.length === 0) return
  const json = JSON.stringify(rows)
  if (database.pg) {
    await database.pg.unsafe(SQL.pg[kind], [json], { prepare: true })
    return
  }
  let prepared = sqliteStatements.get(database)
  if (!prepared) {
    const client = (database.db as unknown as { $client: SqliteClient }).$client
    prepared = { raw: client.prepare(SQL.sqlite.raw), latest: client.prepare(SQL.sqlite.latest) }
    sqliteStatements.set(database, prepared)
  }
  prepared[kind].run(json)
}

/** Stores raw samples (a duplicate server+time is ignored, so an agent may resend). */
export async function insertRaw(database: Database, rows: readonly RawRow[]): Promise<void> {
  await runBatch(
    database,
    'raw',
    rows.map((r) => [
      r.serverId,
      r.at.getTime(),
      r.cpu,
      r.memory,
      r.swap,
      r.disk,
      r.load1,
      r.netRx,
      r.netTx,
      r.diskRead,
      r.diskWrite,
    ]),
  )
}

export type LatestRow = { serverId: number; at: Date; intervalSeconds: number; sample: Sample }

/** Keeps each server's newest full sample (an older one arriving late changes nothing). */
export async function upsertLatest(database: Database, rows: readonly LatestRow[]): Promise<void> {
  await runBatch(
    database,
    'latest',
    rows.map((r) => [r.serverId, r.at.getTime(), r.intervalSeconds, JSON.stringify(r.sample)]),
  )
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

/** When each server last reported and how often it does (without the samples themselves). */
export async function lastSeen(database: Database) {
  const { db, t } = database
  const l = t.metricLatest
  return db.select({ serverId: l.serverId, at: l.at, intervalSeconds: l.intervalSeconds }).from(l)
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

/** The averages of one minute's raw samples, per server, in one grouped query. */
async function minuteAverages(database: Database, minute: number, serverIds: readonly number[]) {
  const { db, t } = database
  const s = t.metricSamples
  const rows = await db
    .select({
      serverId: s.serverId,
      cpu: sql<number>`avg(${s.cpu})`,
      memory: sql<number>`avg(${s.memory})`,
      swap: sql<number>`avg(${s.swap})`,
      disk: sql<number>`avg(${s.disk})`,
      load1: sql<number>`avg(${s.load1})`,
      netRx: sql<number>`avg(${s.netRx})`,
      netTx: sql<number>`avg(${s.netTx})`,
      diskRead: sql<number>`avg(${s.diskRead})`,
      diskWrite: sql<number>`avg(${s.diskWrite})`,
    })
    .from(s)
    .where(
      and(
        inArray(s.serverId, [...serverIds]),
        gte(s.at, new Date(minute)),
        lt(s.at, new Date(minute + MINUTE_MS)),
      ),
    )
    .groupBy(s.serverId)
  const averages = new Map<number, Point>()
  for (const { serverId, ...point } of rows) {
    averages.set(serverId, Object.fromEntries(Object.entries(point).map(([k, v]) => [k, Number(v)])) as Point)
  }
  return averages
}

/** The chunks starting at `startAt` of some servers, locked for update on PostgreSQL. */
async function lockedChunks(
  database: Database,
  tx: Database['db'],
  kind: 'minute' | 'hour',
  startAt: number,
  serverIds: readonly number[],
): Promise<Map<number, Buffer>> {
  const table = kind === 'minute' ? database.t.metricMinutes : database.t.metricHours
  const query = tx
    .select({ serverId: table.serverId, points: table.points })
    .from(table)
    .where(and(eq(table.startAt, new Date(startAt)), inArray(table.serverId, [...serverIds])))
  // SQLite transactions write alone already; PostgreSQL needs the row locks.
  const rows = database.dialect === 'pg' ? await query.for('update') : await query
  return new Map(rows.map((r) => [r.serverId, Buffer.from(r.points)]))
}

const CHUNK_SQL = {
  sqlite: (table: string) =>
    `insert into ${table} (server_id, start_at, points) select value->>0, value->>1, unhex(value->>2) from json_each(?) where true
     on conflict (server_id, start_at) do update set points = excluded.points`,
  pg: (table: string) =>
    `insert into ${table} (server_id, start_at, points)
     select (r->>0)::int, to_timestamp((r->>1)::double precision / 1000), decode(r->>2, 'hex') from jsonb_array_elements(`,
  pgEnd: `::jsonb) as r on conflict (server_id, start_at) do update set points = excluded.points`,
}

/** Writes chunks in one statement, inside the caller's transaction. */
async function saveChunks(
  database: Database,
  tx: Database['db'],
  kind: 'minute' | 'hour',
  startAt: number,
  chunks: Map<number, Buffer>,
): Promise<void> {
  if (chunks.size === 0) return
  const table = kind === 'minute' ? 'metric_minutes' : 'metric_hours'
  const json = JSON.stringify(
    [...chunks].map(([serverId, points]) => [serverId, startAt, points.toString('hex')]),
  )
  if (database.dialect === 'pg') {
    await tx.execute(sql.join([sql.raw(CHUNK_SQL.pg(table)), sql`${json}`, sql.raw(CHUNK_SQL.pgEnd)]))
    return
  }
  const client = (database.db as unknown as { $client: SqliteClient }).$client
  client.prepare(CHUNK_SQL.sqlite(table)).run(json)
}

const ROLLUP_BATCH = 500

/**
 * Rolls one minute of raw samples of some servers into their minute chunks, and
 * refreshes that hour's slot in their day chunks: one grouped read, then in one
 * transaction two chunk reads and two chunk writes for all of them. Idempotent: run it
 * again and nothing changes. Returns how many servers had samples in that minute.
 */
export async function rollUpMinutes(
  database: Database,
  minute: number,
  serverIds: readonly number[],
): Promise<number> {
  let rolled = 0
  for (let i = 0; i < serverIds.length; i += ROLLUP_BATCH) {
    const ids = serverIds.slice(i, i + ROLLUP_BATCH)
    const averages = await minuteAverages(database, minute, ids)
    if (averages.size === 0) continue
    const present = [...averages.keys()]
    const hour = floorTo(minute, HOUR_MS)
    const day = floorTo(minute, DAY_MS)
    await database.transaction(async (tx) => {
      const minutes = await lockedChunks(database, tx, 'minute', hour, present)
      const hours = await lockedChunks(database, tx, 'hour', day, present)
      for (const [serverId, average] of averages) {
        const minuteChunk = minutes.get(serverId) ?? emptyChunk(60)
        writeSlot(minuteChunk, (minute - hour) / MINUTE_MS, average)
        minutes.set(serverId, minuteChunk)
        const filled: Point[] = []
        for (let slot = 0; slot < 60; slot++) {
          const point = readSlot(minuteChunk, slot)
          if (point) filled.push(point)
        }
        const hourChunk = hours.get(serverId) ?? emptyChunk(24)
        writeSlot(hourChunk, (hour - day) / HOUR_MS, averagePoints(filled)!)
        hours.set(serverId, hourChunk)
      }
      await saveChunks(database, tx, 'minute', hour, minutes)
      await saveChunks(database, tx, 'hour', day, hours)
    })
    rolled += averages.size
  }
  return rolled
}

export async function rollUpMinute(database: Database, serverId: number, minute: number): Promise<boolean> {
  return (await rollUpMinutes(database, minute, [serverId])) > 0
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
