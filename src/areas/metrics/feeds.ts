/**
 * Live feeds for the SSE views: one feed per server per panel process, however many
 * people watch. The first viewer of a server makes its feed — one subscription to
 * `metrics:<id>`, a window of recent points read once from the raw history — and the
 * last one to leave ends it, so an idle panel holds no subscription at all. A feed
 * renders each update once (`memo`) and hands the same HTML to every viewer.
 *
 * @example
 *   const { feed, leave } = await feedsFor(deps).join(serverId, (f) => send(f.memo('card', () => card(f))))
 *   // … on disconnect
 *   leave()
 */
import { eq } from 'drizzle-orm'
import type { Deps } from '../../deps.ts'
import { floorTo, type TimedPoint } from './chunk.ts'
import type { Sample } from './collector.ts'
import { type MetricsEvent, metricsTopic, STATUS_TOPIC, type StatusEvent } from './ingest.ts'
import { latestSample, pointOf, rawPoints } from './store.ts'

/** How much recent history a live chart shows. */
export const LIVE_WINDOW_MS = 10 * 60_000
const MAX_POINTS = 600

export type Feed = {
  serverId: number
  /** Recent points, oldest first, within LIVE_WINDOW_MS of the newest. */
  points: TimedPoint[]
  latest: Sample | null
  status: StatusEvent['status'] | null
  /** Bumped on every update; memoized renders are per version. */
  version: number
  /** Renders once per update and kind, whoever asks first. */
  memo(kind: string, render: () => string): string
}

type Viewer = (feed: Feed, change: 'sample' | 'status') => void

type Entry = { feed: Feed; viewers: Set<Viewer>; stop: () => void; ready: Promise<void> }

export type Feeds = {
  /** Joins a server's feed; the feed as it is now (its recent history read) and how to leave. */
  join(serverId: number, viewer: Viewer): Promise<{ feed: Feed; leave: () => void }>
  /** Viewers across all feeds (for /metrics). */
  viewers(): number
}

const hubs = new WeakMap<Deps, Feeds>()

export function feedsFor(deps: Deps): Feeds {
  let hub = hubs.get(deps)
  if (!hub) {
    hub = createFeeds(deps)
    hubs.set(deps, hub)
  }
  return hub
}

function makeFeed(serverId: number): Feed {
  let cache = new Map<string, string>()
  let cachedVersion = -1
  const feed: Feed = {
    serverId,
    points: [],
    latest: null,
    status: null,
    version: 0,
    memo(kind, render) {
      if (cachedVersion !== feed.version) {
        cache = new Map()
        cachedVersion = feed.version
      }
      let html = cache.get(kind)
      if (html === undefined) {
        html = render()
        cache.set(kind, html)
      }
      return html
    },
  }
  return feed
}

function createFeeds(deps: Deps): Feeds {
  const entries = new Map<number, Entry>()
  let stopStatus: (() => void) | null = null

  const notify = (entry: Entry, change: 'sample' | 'status') => {
    entry.feed.version++
    for (const viewer of [...entry.viewers]) viewer(entry.feed, change)
  }

  const onStatus = (payload: unknown) => {
    const event = payload as StatusEvent
    const entry = entries.get(event.server_id)
    if (!entry || entry.feed.status === event.status) return
    entry.feed.status = event.status
    notify(entry, 'status')
  }

  const onSample = (entry: Entry) => (payload: unknown) => {
    const { sample } = payload as MetricsEvent
    const at = Date.parse(sample.at)
    const feed = entry.feed
    if (feed.latest && Date.parse(feed.latest.at) >= at) return
    feed.latest = sample
    feed.status = 'online'
    feed.points.push({ at, ...pointOf(sample) })
    const cutoff = at - LIVE_WINDOW_MS
    let drop = 0
    while (
      drop < feed.points.length &&
      (feed.points[drop]!.at < cutoff || feed.points.length - drop > MAX_POINTS)
    )
      drop++
    if (drop) feed.points.splice(0, drop)
    notify(entry, 'sample')
  }

  async function seed(feed: Feed) {
    const now = Date.now()
    const [points, latest, status] = await Promise.all([
      rawPoints(deps.database, feed.serverId, floorTo(now - LIVE_WINDOW_MS, 1000), now + 60_000),
      latestSample(deps.database, feed.serverId),
      (async () => {
        const { db, t } = deps.database
        const [row] = await db
          .select({ status: t.servers.status })
          .from(t.servers)
          .where(eq(t.servers.id, feed.serverId))
          .limit(1)
        return row?.status ?? null
      })(),
    ])
    // Samples that arrived while we read keep their place at the end.
    const newestSeeded = points.at(-1)?.at ?? 0
    feed.points = [...points, ...feed.points.filter((p) => p.at > newestSeeded)].slice(-MAX_POINTS)
    if (!feed.latest && latest) feed.latest = latest.sample
    feed.status ??= status
    feed.version++
  }

  return {
    async join(serverId, viewer) {
      let entry = entries.get(serverId)
      if (!entry) {
        const feed = makeFeed(serverId)
        const made: Entry = { feed, viewers: new Set(), stop: () => {}, ready: Promise.resolve() }
        made.stop = deps.events.subscribe(metricsTopic(serverId), onSample(made))
        made.ready = seed(feed).catch((err) =>
          deps.log.error('live feed could not read history', {
            server: serverId,
            error: (err as Error).message,
          }),
        )
        entries.set(serverId, made)
        stopStatus ??= deps.events.subscribe(STATUS_TOPIC, onStatus)
        entry = made
      }
      const joined = entry
      joined.viewers.add(viewer)
      await joined.ready
      let left = false
      const leave = () => {
        if (left) return
        left = true
        joined.viewers.delete(viewer)
        if (joined.viewers.size > 0 || entries.get(serverId) !== joined) return
        joined.stop()
        entries.delete(serverId)
        if (entries.size === 0 && stopStatus) {
          stopStatus()
          stopStatus = null
        }
      }
      return { feed: joined.feed, leave }
    },
    viewers() {
      let n = 0
      for (const entry of entries.values()) n += entry.viewers.size
      return n
    },
  }
}
