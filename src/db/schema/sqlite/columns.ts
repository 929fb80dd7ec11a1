/** Column helpers so that every SQLite table reads like its PostgreSQL twin and yields the same JS types. */
import { blob, integer, text } from 'drizzle-orm/sqlite-core'

export const id = () => integer('id').primaryKey({ autoIncrement: true })
export const createdAt = () =>
  integer('created_at', { mode: 'timestamp_ms' })
    .notNull()
    .$defaultFn(() => new Date())
export const updatedAt = () =>
  integer('updated_at', { mode: 'timestamp_ms' })
    .notNull()
    .$defaultFn(() => new Date())
    .$onUpdateFn(() => new Date())
export const time = (name: string) => integer(name, { mode: 'timestamp_ms' })
export const bool = (name: string) => integer(name, { mode: 'boolean' })
export const json = <T>(name: string) => text(name, { mode: 'json' }).$type<T>()
/** Binary data (packed metric roll-ups); a Buffer in JS, like bytea on PostgreSQL. */
export const bytes = (name: string) => blob(name, { mode: 'buffer' }).$type<Buffer>()
