import { doublePrecision, index, integer, pgTable, primaryKey, text } from 'drizzle-orm/pg-core'
import { time } from './columns.ts'

/** The live state of a rule on a server: pending (waiting out for_seconds) or firing. */
export const alertStates = pgTable(
  'alert_states',
  {
    ruleId: integer('rule_id').notNull(),
    serverId: integer('server_id').notNull(),
    state: text('state', { enum: ['pending', 'firing'] }).notNull(),
    since: time('since').notNull(),
    value: doublePrecision('value').notNull(),
  },
  (t) => [
    primaryKey({ name: 'alert_states_pk', columns: [t.ruleId, t.serverId] }),
    index('alert_states_server_idx').on(t.serverId),
  ],
)
