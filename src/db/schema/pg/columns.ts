/** Column helpers so that every PostgreSQL table reads like its SQLite twin and yields the same JS types. */
import { boolean, customType, integer, jsonb, timestamp } from 'drizzle-orm/pg-core'

export const id = () => integer('id').primaryKey().generatedByDefaultAsIdentity()
export const createdAt = () =>
  timestamp('created_at', { withTimezone: true, mode: 'date' })
    .notNull()
    .$defaultFn(() => new Date())
export const updatedAt = () =>
  timestamp('updated_at', { withTimezone: true, mode: 'date' })
    .notNull()
    .$defaultFn(() => new Date())
    .$onUpdateFn(() => new Date())
export const time = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' })
export const bool = (name: string) => boolean(name)
export const json = <T>(name: string) => jsonb(name).$type<T>()
/** Binary data (packed metric roll-ups); a Buffer in JS, like a blob on SQLite. */
export const bytes = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' })
