/**
 * Opens the panel's own database: bun:sqlite (WAL, foreign keys, busy timeout) or
 * PostgreSQL through postgres-js, chosen by the configured URL. Area code sees one
 * typed `Db` and one set of tables `t`, whichever dialect runs: the two schemas are
 * kept column for column alike (tests/db/schema-parity.test.ts), so the query builder
 * calls are the same. Dialect-specific SQL goes through `database.dialect` checks here
 * or in a repository, never in an area.
 *
 * @example
 *   const database = await openDatabase(config.database)
 *   await database.db.select().from(database.t.users)
 */
import type { Database as SqliteDriver } from 'bun:sqlite'
import { sql } from 'drizzle-orm'
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import type postgres from 'postgres'
import type { DatabaseTarget } from '../config.ts'
import type * as pgSchema from './schema/pg/index.ts'

// Each dialect's driver, drizzle adapter and schema are imported only when that dialect
// is opened: a SQLite panel never pays the memory of postgres-js, and the reverse.

export type Tables = typeof pgSchema
/** The query-builder view area code is written against (both dialects answer it alike). */
export type Db = PostgresJsDatabase<Tables>

export type Database = {
  dialect: 'sqlite' | 'pg'
  db: Db
  t: Tables
  /** Runs `fn` in a transaction. On SQLite `fn` must await only database calls (they settle synchronously). */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>
  ping(): Promise<void>
  migrate(migrationsRoot: string): Promise<void>
  close(): Promise<void>
  /** The raw postgres-js client (LISTEN/NOTIFY, SKIP LOCKED), null on SQLite. */
  pg: postgres.Sql | null
}

export class DatabaseError extends Error {}

export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  return target.dialect === 'sqlite' ? openSqlite(target.path) : openPg(target.url)
}

async function openSqlite(path: string): Promise<Database> {
  const [{ Database: Driver }, { drizzle: drizzleSqlite }, { migrate: migrateSqlite }, sqliteSchema] =
    await Promise.all([
      import('bun:sqlite'),
      import('drizzle-orm/bun-sqlite'),
      import('drizzle-orm/bun-sqlite/migrator'),
      import('./schema/sqlite/index.ts'),
    ])
  let client: SqliteDriver
  try {
    client = new Driver(path, { create: true, strict: true })
  } catch (err) {
    throw new DatabaseError(`cannot open the SQLite database ${path}: ${(err as Error).message}`)
  }
  client.exec('PRAGMA journal_mode = WAL')
  client.exec('PRAGMA foreign_keys = ON')
  client.exec('PRAGMA busy_timeout = 5000')
  client.exec('PRAGMA synchronous = NORMAL')
  const db = drizzleSqlite(client, { schema: sqliteSchema })
  let txChain: Promise<unknown> = Promise.resolve()
  return {
    dialect: 'sqlite',
    db: db as unknown as Db,
    t: sqliteSchema as unknown as Tables,
    transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
      // One writer at a time: chain transactions so two never interleave on the one connection.
      const run = txChain.then(async () => {
        client.exec('BEGIN IMMEDIATE')
        try {
          const result = await fn(db as unknown as Db)
          client.exec('COMMIT')
          return result
        } catch (err) {
          client.exec('ROLLBACK')
          throw err
        }
      })
      txChain = run.catch(() => undefined)
      return run
    },
    async ping() {
      client.query('select 1').get()
    },
    async migrate(root) {
      migrateSqlite(db, { migrationsFolder: `${root}/sqlite` })
    },
    async close() {
      client.close()
    },
    pg: null,
  }
}

async function openPg(url: string): Promise<Database> {
  const [{ default: postgres }, { drizzle: drizzlePg }, { migrate: migratePg }, pgSchema] = await Promise.all(
    [
      import('postgres'),
      import('drizzle-orm/postgres-js'),
      import('drizzle-orm/postgres-js/migrator'),
      import('./schema/pg/index.ts'),
    ],
  )
  const client = postgres(url, {
    max: 10,
    onnotice: () => {},
    connect_timeout: 5,
    idle_timeout: 60,
    connection: { application_name: 'unipanel' },
  })
  const db = drizzlePg(client, { schema: pgSchema })
  return {
    dialect: 'pg',
    db,
    t: pgSchema,
    transaction: (fn) => db.transaction((tx) => fn(tx as unknown as Db)),
    async ping() {
      await db.execute(sql`select 1`)
    },
    async migrate(root) {
      await migratePg(db, { migrationsFolder: `${root}/pg` })
    },
    async close() {
      await client.end({ timeout: 5 })
    },
    pg: client,
  }
}
