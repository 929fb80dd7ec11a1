import { integer, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core'
import { createdAt, id, json, time, updatedAt } from './columns.ts'

export type ServerFacts = {
  distribution?: string
  distributionVersion?: string
  phpVersions?: string[]
  nginxVersion?: string | null
  databases?: string[]
  gatheredAt?: string
}

export const servers = pgTable(
  'servers',
  {
    id: id(),
    name: text('name').notNull(),
    host: text('host').notNull(),
    port: integer('port').notNull().default(22),
    user: text('user').notNull().default('root'),
    connection: text('connection', { enum: ['local', 'ssh'] }).notNull(),
    /** The SSH host key recorded when the server was added ("ssh-ed25519 AAAA…"); jobs refuse a different one. */
    hostKey: text('host_key'),
    tags: json<string[]>('tags')
      .notNull()
      .$defaultFn(() => []),
    notes: text('notes').notNull().default(''),
    status: text('status', { enum: ['online', 'offline', 'unknown'] })
      .notNull()
      .default('unknown'),
    lastSeenAt: time('last_seen_at'),
    facts: json<ServerFacts>('facts')
      .notNull()
      .$defaultFn(() => ({})),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('servers_name_unique').on(t.name)],
)
