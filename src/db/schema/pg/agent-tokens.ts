import { index, integer, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core'
import { createdAt, id, time } from './columns.ts'

/** Tokens `unipanel agent` pushes samples with: one active per server, kept as sha256, shown once. */
export const agentTokens = pgTable(
  'agent_tokens',
  {
    id: id(),
    serverId: integer('server_id').notNull(),
    tokenHash: text('token_hash').notNull(),
    createdAt: createdAt(),
    lastUsedAt: time('last_used_at'),
    revokedAt: time('revoked_at'),
  },
  (t) => [
    uniqueIndex('agent_tokens_hash_unique').on(t.tokenHash),
    index('agent_tokens_server_idx').on(t.serverId),
  ],
)
