/**
 * The path every sample takes, from the local collector or an agent: published at once
 * on `metrics:<serverId>` for live views (and, on PostgreSQL, to every panel process),
 * checked against the alert rules, then written in batches — raw rows, each server's
 * latest sample and its last-seen time — about once a second, so a fleet of agents costs
 * a few multi-row statements a second rather than several per sample. The minutes the
 * samples fall in are remembered so the roll-up pass can fold them into history, even
 * when an agent delivers an hour it had buffered.
 *
 * @example
 *   ingestFor(deps).accept(serverId, [sample])
 *   await ingestFor(deps).flush()
 */
import { inArray } from 'drizzle-orm'
import type { Deps } from '../../deps.ts'
import { evaluateSample } from '../alerts/engine.ts'
import { floorTo, MINUTE_MS } from './chunk.ts'
import type { Sample } from './collector.ts'
import { insertRaw, type LatestRow, pointOf, type RawRow, rollUpMinutes, upsertLatest } from './store.ts'

export const metricsTopic = (serverId: number) => `metrics:${serverId}`
export const STATUS_TOPIC = 'servers:status'

export type MetricsEvent = { server_id: number; sample: Sample }
export type StatusEvent = { server_id: number; status: 'online' | 'offline' | 'unknown' }

const FLUSH_MS = 1000
const FLUSH_ROWS = 2000
/** How often a server's last-seen time is written (it is known to the second from metric_latest). */
const TOUCH_MS = 30_000
/** A minute is rolled up this long after it ends, so samples still in flight land first. */
const ROLLUP_GRACE_MS = 5000

export type Ingest = {
  /** Takes samples of one server (oldest first or not); returns how many were kept. */
  accept(serverId: number, samples: readonly Sample[]): number
  flush(): Promise<void>
  /** Folds every finished minute that received samples into the roll-ups. */
  rollUp(now?: number): Promise<number>
  /** Samples taken since the process started (for /metrics). */
  readonly accepted: number
  close(): Promise<void>
}

const ingests = new WeakMap<Deps, Ingest>()

export function ingestFor(deps: Deps): Ingest {
  let ingest = ingests.get(deps)
  if (!ingest) {
    ingest = createIngest(deps)
    ingests.set(deps, ingest)
    const made = ingest
    deps.onClose.push(() => made.close())
  }
  return ingest
}

function createIngest(deps: Deps): Ingest {
  let raw: RawRow[] = []
  let latest = new Map<number, LatestRow>()
  const touched = new Map<number, number>()
  let touch = new Set<number>()
  const dirty = new Map<number, Set<number>>()
  let timer: ReturnType<typeof setTimeout> | null = null
  let flushing: Promise<void> = Promise.resolve()
  let accepted = 0
  let closed = false
  // A server marked offline (by any process) is touched again by its next sample at once.
  const stopStatus = deps.events.subscribe(STATUS_TOPIC, (payload) => {
    const event = payload as StatusEvent
    if (event.status !== 'online') touched.delete(event.server_id)
  })

  const schedule = () => {
    if (timer || closed) return
    timer = setTimeout(() => {
      timer = null
      void flush().catch((err) => deps.log.error('metrics flush failed', { error: (err as Error).message }))
    }, FLUSH_MS)
  }

  async function write(): Promise<void> {
    if (raw.length === 0 && latest.size === 0 && touch.size === 0) return
    const rows = raw
    const newest = [...latest.values()]
    const seen = [...touch]
    raw = []
    latest = new Map()
    touch = new Set()
    await insertRaw(deps.database, rows)
    await upsertLatest(deps.database, newest)
    if (seen.length > 0) {
      const { db, t } = deps.database
      const waking = await db
        .select({ id: t.servers.id, status: t.servers.status })
        .from(t.servers)
        .where(inArray(t.servers.id, seen))
      await db
        .update(t.servers)
        .set({ status: 'online', lastSeenAt: new Date() })
        .where(inArray(t.servers.id, seen))
      for (const row of waking) {
        if (row.status !== 'online')
          deps.events.publish(STATUS_TOPIC, { server_id: row.id, status: 'online' })
      }
    }
  }

  function flush(): Promise<void> {
    if (timer) {
      clearTimeout(timer)
      timer = null
    }
    // One write at a time, in order; a failed one loses its batch but not the next.
    flushing = flushing.then(write, write)
    return flushing
  }

  return {
    get accepted() {
      return accepted
    },
    accept(serverId, samples) {
      let newest: Sample | null = null
      let newestAt = -Infinity
      for (const sample of samples) {
        const at = Date.parse(sample.at)
        if (!Number.isFinite(at)) continue
        raw.push({ serverId, at: new Date(at), ...pointOf(sample) })
        let minutes = dirty.get(serverId)
        if (!minutes) {
          minutes = new Set()
          dirty.set(serverId, minutes)
        }
        minutes.add(floorTo(at, MINUTE_MS))
        if (at > newestAt) {
          newest = sample
          newestAt = at
        }
        accepted++
      }
      if (!newest) return 0
      const current = latest.get(serverId)
      if (!current || current.at.getTime() < newestAt) {
        latest.set(serverId, {
          serverId,
          at: new Date(newestAt),
          intervalSeconds: newest.interval_seconds,
          sample: newest,
        })
      }
      const now = Date.now()
      if (now - (touched.get(serverId) ?? 0) > TOUCH_MS) {
        touched.set(serverId, now)
        touch.add(serverId)
      }
      deps.events.publish(metricsTopic(serverId), {
        server_id: serverId,
        sample: newest,
      } satisfies MetricsEvent)
      evaluateSample(deps, serverId, newest, newestAt)
      if (raw.length >= FLUSH_ROWS) void flush()
      else schedule()
      return samples.length
    },
    flush,
    async rollUp(now = Date.now()) {
      await flush()
      // Finished minutes, each with the servers that had samples in it.
      const due = new Map<number, number[]>()
      for (const [serverId, minutes] of dirty) {
        for (const minute of minutes) {
          if (minute + MINUTE_MS + ROLLUP_GRACE_MS > now) continue
          minutes.delete(minute)
          let ids = due.get(minute)
          if (!ids) {
            ids = []
            due.set(minute, ids)
          }
          ids.push(serverId)
        }
        if (minutes.size === 0) dirty.delete(serverId)
      }
      let done = 0
      for (const [minute, ids] of [...due].sort(([a], [b]) => a - b)) {
        done += await rollUpMinutes(deps.database, minute, ids)
      }
      return done
    },
    async close() {
      closed = true
      stopStatus()
      await flush().catch(() => {})
    },
  }
}
