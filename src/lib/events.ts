/**
 * Events between parts of the panel (a job's log line, a new metrics sample) and
 * across panel processes: delivered in-process at once, and on PostgreSQL also sent
 * with NOTIFY on one channel so that every other process sharing the database
 * delivers it to its own subscribers (LISTEN). Payloads must be JSON and small
 * (NOTIFY caps them near 8 KB; bigger ones stay in-process and are logged).
 *
 * @example
 *   const stop = deps.events.subscribe('job:42', (line) => send(line))
 *   deps.events.publish('job:42', { text: 'TASK [nginx]' })
 */
import type postgres from 'postgres'
import { randomToken } from './crypto.ts'
import type { Log } from './log.ts'

type Listener = (payload: unknown) => void

export type EventBus = {
  publish(topic: string, payload: unknown): void
  subscribe(topic: string, listener: Listener): () => void
  /** How many listeners a topic has (tests check that disconnects unsubscribe). */
  listenerCount(topic?: string): number
  close(): Promise<void>
}

const CHANNEL = 'unipanel_events'
const MAX_NOTIFY_BYTES = 7900

export async function createEventBus(pg: postgres.Sql | null, log: Log): Promise<EventBus> {
  const topics = new Map<string, Set<Listener>>()
  const origin = randomToken(8)

  const deliver = (topic: string, payload: unknown) => {
    const listeners = topics.get(topic)
    if (!listeners) return
    for (const listener of [...listeners]) {
      try {
        listener(payload)
      } catch (err) {
        log.error('event listener failed', { topic, error: (err as Error).message })
      }
    }
  }

  let unlisten: (() => Promise<void>) | null = null
  if (pg) {
    const sub = await pg.listen(CHANNEL, (raw) => {
      try {
        const message = JSON.parse(raw) as { o: string; t: string; p: unknown }
        if (message.o !== origin) deliver(message.t, message.p)
      } catch {
        log.warn('ignored a malformed event notification')
      }
    })
    unlisten = sub.unlisten
  }

  return {
    publish(topic, payload) {
      deliver(topic, payload)
      if (!pg) return
      const text = JSON.stringify({ o: origin, t: topic, p: payload })
      if (Buffer.byteLength(text) > MAX_NOTIFY_BYTES) {
        log.warn('event too large to cross processes', { topic, bytes: Buffer.byteLength(text) })
        return
      }
      pg.notify(CHANNEL, text).catch((err) =>
        log.error('notify failed', { topic, error: (err as Error).message }),
      )
    },
    subscribe(topic, listener) {
      let listeners = topics.get(topic)
      if (!listeners) {
        listeners = new Set()
        topics.set(topic, listeners)
      }
      listeners.add(listener)
      return () => {
        const set = topics.get(topic)
        if (!set) return
        set.delete(listener)
        if (set.size === 0) topics.delete(topic)
      }
    },
    listenerCount(topic) {
      if (topic !== undefined) return topics.get(topic)?.size ?? 0
      let n = 0
      for (const set of topics.values()) n += set.size
      return n
    },
    async close() {
      topics.clear()
      await unlisten?.()
    },
  }
}
