import { integer, pgTable, primaryKey, real } from 'drizzle-orm/pg-core'
import { time } from './columns.ts'

/**
 * Raw metric samples, kept for a short window (minutes) before the roll-ups take over.
 * One narrow row per sample: the headline numbers only; the full sample (per core,
 * per mount) lives in metric_latest.
 */
export const metricSamples = pgTable(
  'metric_samples',
  {
    serverId: integer('server_id').notNull(),
    at: time('at').notNull(),
    cpu: real('cpu').notNull(),
    memory: real('memory').notNull(),
    swap: real('swap').notNull(),
    disk: real('disk').notNull(),
    load1: real('load1').notNull(),
    netRx: real('net_rx').notNull(),
    netTx: real('net_tx').notNull(),
    diskRead: real('disk_read').notNull(),
    diskWrite: real('disk_write').notNull(),
  },
  (t) => [primaryKey({ name: 'metric_samples_pk', columns: [t.serverId, t.at] })],
)
