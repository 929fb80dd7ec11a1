/** Servers: the panel's own host (inserted at first start) and remote ones over SSH. */
import { hostname } from 'node:os'
import { asc, count, eq, or, type SQL, sql } from 'drizzle-orm'
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

export async function findServer(database: Database, id: number): Promise<Server | null> {
  const { db, t } = database
  const [row] = await db.select().from(t.servers).where(eq(t.servers.id, id)).limit(1)
  return row ?? null
}

export async function findServerByName(database: Database, name: string): Promise<Server | null> {
  const { db, t } = database
  const [row] = await db.select().from(t.servers).where(eq(t.servers.name, name)).limit(1)
  return row ?? null
}

/** A page of servers, the panel's own host first, optionally filtered by name, host or tag. */
export async function pageServers(
  database: Database,
  query: { q?: string; page: number; perPage: number },
): Promise<{ rows: Server[]; total: number }> {
  const { db, t } = database
  const q = query.q?.trim().toLowerCase()
  const pattern = q ? `%${q.replace(/[%_\\]/g, (ch) => `\\${ch}`)}%` : ''
  const matches = (column: SQL) => sql`lower(${column}) like ${pattern} escape '\\'`
  // Tags are jsonb on PostgreSQL and JSON text on SQLite.
  const tagsText = database.dialect === 'pg' ? sql`${t.servers.tags}::text` : sql`${t.servers.tags}`
  const where = q
    ? or(matches(sql`${t.servers.name}`), matches(sql`${t.servers.host}`), matches(tagsText))
    : undefined
  const [rows, [total]] = await Promise.all([
    db
      .select()
      .from(t.servers)
      .where(where)
      .orderBy(sql`case when ${t.servers.connection} = 'local' then 0 else 1 end`, asc(t.servers.name))
      .limit(query.perPage)
      .offset((query.page - 1) * query.perPage),
    db.select({ n: count() }).from(t.servers).where(where),
  ])
  return { rows, total: Number(total?.n ?? 0) }
}

export type ServerInput = {
  name: string
  host: string
  port: number
  user: string
  tags: string[]
  notes: string
  hostKey: string | null
}

export async function insertServer(database: Database, input: ServerInput): Promise<Server> {
  const { db, t } = database
  const [row] = await db
    .insert(t.servers)
    .values({ ...input, connection: 'ssh', status: 'unknown' })
    .returning()
  return row!
}

export async function updateServer(
  database: Database,
  id: number,
  change: Partial<ServerInput>,
): Promise<Server> {
  const { db, t } = database
  const [row] = await db.update(t.servers).set(change).where(eq(t.servers.id, id)).returning()
  return row!
}

export async function deleteServerRow(database: Database, id: number): Promise<void> {
  const { db, t } = database
  await db.delete(t.servers).where(eq(t.servers.id, id))
}
