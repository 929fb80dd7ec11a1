/**
 * History storage for 1,000 servers after 30 days. Target (issue 4): ≤ 200 MB.
 *
 * What the default retention keeps of a server after 30 days: raw samples for the raw
 * window (15 min at one sample per 5 s = 180 rows), 1-minute roll-ups for 48 h (48
 * packed hour chunks), 1-hour roll-ups for 30 days (30 packed day chunks; the hour
 * retention, 400 d, is longer) and one latest full sample. This writes exactly that,
 * with noisy values (so nothing compresses better than real data), for a sample of 100
 * servers in the order a live panel writes it (time first, servers interleaved), then
 * measures the bytes the metric tables take — SQLite: pages in use; PostgreSQL
 * (UNIPANEL_TEST_DATABASE_URL): pg_total_relation_size with indexes and TOAST — and
 * scales to 1,000 servers.
 */
import { sql } from 'drizzle-orm'
import { DAY_MS, emptyChunk, HOUR_MS, MINUTE_MS, type Point, writeSlot } from '../src/areas/metrics/chunk.ts'
import { createCollector } from '../src/areas/metrics/collector.ts'
import { loadMetricsSettings } from '../src/areas/metrics/settings.ts'
import { insertRaw, type RawRow, upsertLatest } from '../src/areas/metrics/store.ts'
import { insertServer } from '../src/areas/servers/repository.ts'
import { testDeps } from '../tests/helpers.ts'
import { report } from './report.ts'

const SERVERS = 100
const FLEET = 1000
const settings = loadMetricsSettings({})
const deps = await testDeps()

try {
  const { db, t, dialect } = deps.database
  const tables = ['metric_samples', 'metric_minutes', 'metric_hours', 'metric_latest']
  const bytes = async (): Promise<number> => {
    if (dialect === 'pg') {
      const rows = await db.execute(
        sql.raw(
          `select sum(pg_total_relation_size(c)) as n from unnest(array['${tables.join("','")}']::regclass[]) as c`,
        ),
      )
      return Number((rows as unknown as { n: string }[])[0]!.n)
    }
    const client = (db as unknown as { $client: { query(q: string): { get(): Record<string, number> } } })
      .$client
    const pageSize = client.query('pragma page_size').get().page_size!
    const pages = client.query('pragma page_count').get().page_count!
    const free = client.query('pragma freelist_count').get().freelist_count!
    return (pages - free) * pageSize
  }

  const ids: number[] = []
  for (let i = 0; i < SERVERS; i++) {
    const server = await insertServer(deps.database, {
      name: `bench-${i}`,
      host: `10.0.${i >> 8}.${i & 255}`,
      port: 22,
      user: 'root',
      tags: ['bench'],
      notes: '',
      hostKey: null,
    })
    ids.push(server.id)
  }
  const before = await bytes()

  let seed = 1
  const noise = () => {
    seed = (seed * 16807) % 2147483647
    return seed / 2147483647
  }
  const point = (): Point => ({
    cpu: noise() * 100,
    memory: 20 + noise() * 60,
    swap: noise() * 5,
    disk: 30 + noise() * 40,
    load1: noise() * 8,
    netRx: noise() * 5e7,
    netTx: noise() * 5e7,
    diskRead: noise() * 2e8,
    diskWrite: noise() * 2e8,
  })
  const now = Math.floor(Date.now() / DAY_MS) * DAY_MS

  // 30 days of hour chunks, one day at a time across the fleet.
  for (let day = 30; day >= 1; day--) {
    const start = now - day * DAY_MS
    const rows = ids.map((serverId) => {
      const chunk = emptyChunk(24)
      for (let h = 0; h < 24; h++) writeSlot(chunk, h, point())
      return { serverId, startAt: new Date(start), points: chunk }
    })
    await db.insert(t.metricHours).values(rows)
  }
  // 48 h of minute chunks.
  const hours = settings.minuteRetentionMs / HOUR_MS
  for (let hour = hours; hour >= 1; hour--) {
    const start = now - hour * HOUR_MS
    const rows = ids.map((serverId) => {
      const chunk = emptyChunk(60)
      for (let m = 0; m < 60; m++) writeSlot(chunk, m, point())
      return { serverId, startAt: new Date(start), points: chunk }
    })
    await db.insert(t.metricMinutes).values(rows)
  }
  // The raw window at one sample per 5 s, every server each tick, as agents deliver.
  const ticks = settings.rawRetentionMs / 5000
  for (let tick = ticks; tick >= 1; tick--) {
    const at = new Date(now - tick * 5000)
    const rows: RawRow[] = ids.map((serverId) => ({ serverId, at, ...point() }))
    await insertRaw(deps.database, rows)
  }
  // One full sample per server: this host's, with its cores and mounts.
  const collector = createCollector()
  await Bun.sleep(100)
  const sample = collector.sample(5)
  await upsertLatest(
    deps.database,
    ids.map((serverId) => ({ serverId, at: new Date(now), intervalSeconds: 5, sample })),
  )

  const used = (await bytes()) - before
  const perServer = used / SERVERS
  const fleetMb = (perServer * FLEET) / 1e6
  process.stdout.write(
    `${dialect}: ${SERVERS} servers took ${(used / 1e6).toFixed(2)} MB (${(perServer / 1024).toFixed(1)} KB per server: ` +
      `${ticks} raw rows, ${hours} minute chunks, 30 hour chunks, 1 latest sample); raw window ${settings.rawRetentionMs / MINUTE_MS} min\n`,
  )
  report(`history of 1,000 servers after 30 days (${dialect})`, Math.round(fleetMb * 10) / 10, 'MB', {
    atMost: 200,
  })
} finally {
  await deps.dispose()
}
