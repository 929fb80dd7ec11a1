/**
 * The metrics loops of a serving panel: the local collector (every 1–5 s), the roll-up
 * pass (every 15 s; retention pruning every 5 min) and the fleet check that marks
 * silent servers offline and feeds the "offline" alert rules (every 10 s). All timers
 * stop when the panel closes.
 *
 * @example
 *   startMetrics(deps) // from `unipanel serve`
 */
import { and, eq, inArray } from 'drizzle-orm'
import type { Deps } from '../../deps.ts'
import { alertEngine } from '../alerts/engine.ts'
import { ensureLocalServer } from '../servers/repository.ts'
import { createCollector } from './collector.ts'
import { ingestFor, STATUS_TOPIC } from './ingest.ts'
import { loadMetricsSettings, type MetricsSettings } from './settings.ts'
import { lastSeen, prune } from './store.ts'

const ROLLUP_MS = 15_000
const PRUNE_MS = 300_000
const FLEET_MS = 10_000

/** A server is offline after this many missed intervals (and at least 30 s of silence). */
export const OFFLINE_AFTER_INTERVALS = 3

export function startMetrics(deps: Deps, settings: MetricsSettings = loadMetricsSettings()): void {
  const timers: ReturnType<typeof setInterval>[] = []
  const every = (ms: number, work: () => Promise<unknown> | unknown, what: string) => {
    let busy = false
    timers.push(
      setInterval(async () => {
        if (busy) return
        busy = true
        try {
          await work()
        } catch (err) {
          deps.log.error(`${what} failed`, { error: (err as Error).message })
        } finally {
          busy = false
        }
      }, ms),
    )
  }

  const collector = createCollector()
  const local = ensureLocalServer(deps.database)
  every(
    settings.intervalSeconds * 1000,
    async () => {
      const server = await local
      ingestFor(deps).accept(server.id, [collector.sample(settings.intervalSeconds)])
    },
    'local sample',
  )
  let lastPrune = Date.now()
  every(
    ROLLUP_MS,
    async () => {
      await ingestFor(deps).rollUp()
      if (Date.now() - lastPrune < PRUNE_MS) return
      lastPrune = Date.now()
      await pruneAll(deps, settings)
    },
    'metrics roll-up',
  )
  every(FLEET_MS, () => checkFleet(deps), 'fleet check')
  deps.onClose.push(() => {
    for (const timer of timers) clearInterval(timer)
  })
}

export async function pruneAll(deps: Deps, settings: MetricsSettings, now = Date.now()): Promise<void> {
  const { db, t } = deps.database
  const ids = (await db.select({ id: t.servers.id }).from(t.servers)).map((s) => s.id)
  await prune(deps.database, ids, {
    raw: now - settings.rawRetentionMs,
    minute: now - settings.minuteRetentionMs,
    hour: now - settings.hourRetentionMs,
  })
}

/** Marks servers that went silent offline and evaluates the offline rules. */
export async function checkFleet(deps: Deps, now = Date.now()): Promise<string[]> {
  const latest = await lastSeen(deps.database)
  const silent = latest.filter(
    (row) => now - row.at.getTime() > Math.max(OFFLINE_AFTER_INTERVALS * row.intervalSeconds * 1000, 30_000),
  )
  const wentOffline: string[] = []
  if (silent.length > 0) {
    const { db, t } = deps.database
    const changed = await db
      .update(t.servers)
      .set({ status: 'offline' })
      .where(
        and(
          inArray(
            t.servers.id,
            silent.map((s) => s.serverId),
          ),
          eq(t.servers.status, 'online'),
        ),
      )
      .returning({ id: t.servers.id, name: t.servers.name })
    for (const server of changed) {
      wentOffline.push(server.name)
      deps.events.publish(STATUS_TOPIC, { server_id: server.id, status: 'offline' })
    }
  }
  alertEngine(deps).checkOffline(
    latest.map((row) => ({
      serverId: row.serverId,
      at: row.at.getTime(),
      intervalSeconds: row.intervalSeconds,
    })),
    now,
  )
  return wentOffline
}
