import { sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'
import { bool, createdAt, id, json, updatedAt } from './columns.ts'

/** Where alerts go: a webhook, a Telegram chat or an email address. Secrets are sealed at rest. */
export const alertChannels = sqliteTable(
  'alert_channels',
  {
    id: id(),
    name: text('name').notNull(),
    kind: text('kind', { enum: ['webhook', 'telegram', 'email'] }).notNull(),
    /** The settings that are not secret (URL, chat id, SMTP host, addresses). */
    config: json<Record<string, unknown>>('config').notNull(),
    /** The secret settings (webhook secret, bot token, SMTP password) sealed with the secret box. */
    sealedSecrets: text('sealed_secrets'),
    enabled: bool('enabled').notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('alert_channels_name_unique').on(t.name)],
)
