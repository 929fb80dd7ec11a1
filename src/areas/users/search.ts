/**
 * Case-insensitive "contains" search for list pages, the same on SQLite and
 * PostgreSQL (lower() … like … escape), with the user's % and _ taken literally.
 *
 * @example
 *   db.select().from(t.users).where(containsText(t.users.username, query.q))
 */
import { type SQL, sql } from 'drizzle-orm'
import type { AnyColumn } from 'drizzle-orm/column'

export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (ch) => `\\${ch}`)
}

export function containsText(column: AnyColumn | SQL, q: string | undefined): SQL | undefined {
  if (!q) return undefined
  return sql`lower(${column}) like ${`%${escapeLike(q.toLowerCase())}%`} escape '\\'`
}
