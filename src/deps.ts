/**
 * What the app and its areas are built from. `main.ts` makes one from the
 * configuration; tests make one around a temporary data dir, so both run the same code.
 */
import type { Config } from './config.ts'
import type { Database } from './db/client.ts'
import type { EventBus } from './lib/events.ts'
import type { Log } from './lib/log.ts'

export type Deps = {
  config: Config
  database: Database
  log: Log
  /** In-process pub/sub, crossing processes through LISTEN/NOTIFY on PostgreSQL. */
  events: EventBus
  startedAt: Date
  /** Hooks run when the server stops (job runner, collectors, listeners). */
  onClose: Array<() => Promise<void> | void>
}
