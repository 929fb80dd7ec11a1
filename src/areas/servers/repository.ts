/** Servers: the panel's own host (inserted at first start) and remote ones over SSH. */
import { hostname } from 'node:os'
import { asc, eq } from 'drizzle-orm'
import type { Database, Tables } from '../../db/client.ts'

export type Server = Tables['servers']['$inferSelect']

/** Makes sure the panel's own host exists as a `local` server; returns it. */
export async function ensureLocalServer(database: Database): Promise<Server> {
  const { db, t } = database
  const [existing] = await db.select().from(t.servers).where(eq(t.servers.connection, 'local')).limit(1)
  if (existing) return existing
  const name =
    hostname()
      .toLowerCase()
      .replace(/[^a-z0-9.-]/g, '-') || 'localhost'
  const [row] = await db
    .insert(t.servers)
    .values({
      name,
      host: '127.0.0.1',
      port: 22,
      user: 'root',
      connection: 'local',
      status: 'online',
      notes: 'The panel’s own host.',
    })
    .onConflictDoNothing()
    .returning()
  if (row) return row
  const [again] = await db.select().from(t.servers).where(eq(t.servers.connection, 'local')).limit(1)
  return again!
}

export async function listServers(database: Database): Promise<Server[]> {
  const { db, t } = database
  return db.select().from(t.servers).orderBy(asc(t.servers.name))
}
