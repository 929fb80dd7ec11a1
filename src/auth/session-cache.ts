/**
 * A one-second, in-process memory of "this cookie is this session of this user", so
 * the session check of a busy page costs a map lookup instead of two queries. Any
 * change to users or sessions (sign-out, revocation, password, 2FA, status, role)
 * forgets everything at once in this process and, through the event bus (LISTEN/NOTIFY
 * on PostgreSQL), in the other panel processes; a process that misses the message
 * (the CLI, or a lost notification) is right again within the second. A hit still
 * checks the idle and absolute timeouts, and the database path runs at least once a
 * second per session, which keeps last_seen_at fresh for the idle timeout.
 *
 * @example
 *   identityChanged(database) // after any write to users or sessions
 */
import type { User } from '../areas/users/repository.ts'
import type { Database } from '../db/client.ts'
import type { Deps } from '../deps.ts'
import type { Session } from './sessions.ts'

const TTL_MS = 1000
const MAX_ENTRIES = 10_000
const TOPIC = 'identity.changed'

type Entry = { session: Session; user: User; until: number }
type State = { entries: Map<string, Entry>; publish: (() => void) | null }

const states = new WeakMap<Database, State>()

function stateOf(database: Database): State {
  let state = states.get(database)
  if (!state) {
    state = { entries: new Map(), publish: null }
    states.set(database, state)
  }
  return state
}

/** Joins the cache of this database to the event bus (once per deps). */
export function connectSessionCache(deps: Pick<Deps, 'database' | 'events'>): void {
  const state = stateOf(deps.database)
  if (state.publish) return
  state.publish = () => deps.events.publish(TOPIC, 1)
  deps.events.subscribe(TOPIC, () => state.entries.clear())
}

export function cachedSession(database: Database, token: string, now: number): Entry | null {
  const entry = states.get(database)?.entries.get(token)
  if (!entry) return null
  if (entry.until <= now) {
    states.get(database)?.entries.delete(token)
    return null
  }
  return entry
}

export function rememberSession(
  database: Database,
  token: string,
  session: Session,
  user: User,
  now: number,
  idleMs: number,
): void {
  const state = stateOf(database)
  if (state.entries.size >= MAX_ENTRIES) state.entries.clear()
  const until = Math.min(now + TTL_MS, session.expiresAt.getTime(), session.lastSeenAt.getTime() + idleMs)
  state.entries.set(token, { session, user, until })
}

/** Forgets every remembered session, here and in the other panel processes. */
export function identityChanged(database: Database): void {
  const state = states.get(database)
  if (!state) return
  state.entries.clear()
  state.publish?.()
}
