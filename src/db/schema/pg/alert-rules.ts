import { doublePrecision, index, integer, pgTable, text } from 'drizzle-orm/pg-core'
import { bool, createdAt, id, updatedAt } from './columns.ts'

/** Threshold rules on a metric, for one server, every server with a tag, or every server. */
export const alertRules = pgTable(
  'alert_rules',
  {
    id: id(),
    name: text('name').notNull(),
    metric: text('metric').notNull(),
    op: text('op', { enum: ['>', '>=', '<', '<='] }).notNull(),
    threshold: doublePrecision('threshold').notNull(),
    forSeconds: integer('for_seconds').notNull().default(0),
    /** How far back past the threshold the value must go before the alert resolves. */
    hysteresis: doublePrecision('hysteresis').notNull().default(0),
    serverId: integer('server_id'),
    tag: text('tag'),
    channelId: integer('channel_id').notNull(),
    enabled: bool('enabled').notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('alert_rules_server_idx').on(t.serverId), index('alert_rules_channel_idx').on(t.channelId)],
)
