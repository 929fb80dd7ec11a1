import { index, integer, real, sqliteTable, text } from 'drizzle-orm/sqlite-core'
import { id, time } from './columns.ts'

/** Alert history: each firing and resolution, with the masked message and how its delivery went. */
export const alertEvents = sqliteTable(
  'alert_events',
  {
    id: id(),
    at: time('at')
      .notNull()
      .$defaultFn(() => new Date()),
    ruleId: integer('rule_id'),
    ruleName: text('rule_name').notNull(),
    serverId: integer('server_id'),
    serverName: text('server_name').notNull(),
    state: text('state', { enum: ['firing', 'resolved'] }).notNull(),
    metric: text('metric').notNull(),
    value: real('value').notNull(),
    threshold: real('threshold').notNull(),
    message: text('message').notNull(),
    channelId: integer('channel_id'),
    delivery: text('delivery', { enum: ['pending', 'sent', 'failed'] })
      .notNull()
      .default('pending'),
    deliveryError: text('delivery_error'),
  },
  (t) => [index('alert_events_at_idx').on(t.at), index('alert_events_rule_idx').on(t.ruleId, t.at)],
)
