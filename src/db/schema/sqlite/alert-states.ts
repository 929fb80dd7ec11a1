import { index, integer, primaryKey, real, sqliteTable, text } from 'drizzle-orm/sqlite-core'
import { time } from './columns.ts'

/** The live state of a rule on a server: pending (waiting out for_seconds) or firing. */
export const alertStates = sqliteTable(
  'alert_states',
  {
    ruleId: integer('rule_id').notNull(),
    serverId: integer('server_id').notNull(),
    state: text('state', { enum: ['pending', 'firing'] }).notNull(),
    since: time('since').notNull(),
    value: real('value').notNull(),
  },
  (t) => [
    primaryKey({ name: 'alert_states_pk', columns: [t.ruleId, t.serverId] }),
    index('alert_states_server_idx').on(t.serverId),
  ],
)
