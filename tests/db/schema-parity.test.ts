/**
 * The two schemas (src/db/schema/sqlite and src/db/schema/pg) must describe the same
 * tables, column for column, so that area code written once runs on both. Every
 * exported table of both index.ts files is compared, so a new table is covered the
 * moment it is exported; the migrations of both dialects must exist and be complete.
 */
import { describe, expect, test } from 'bun:test'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Column, is } from 'drizzle-orm'
import { PgTable, getTableConfig as pgConfig } from 'drizzle-orm/pg-core'
import { SQLiteTable, getTableConfig as sqliteConfig } from 'drizzle-orm/sqlite-core'
import * as pgSchema from '../../src/db/schema/pg/index.ts'
import * as sqliteSchema from '../../src/db/schema/sqlite/index.ts'
import { repoRoot } from '../process.ts'

type Shape = {
  name: string
  columns: Record<string, Record<string, unknown>>
  primaryKey: string[]
  indexes: string[]
  foreignKeys: string[]
}

/** What both dialects must agree on about a column; storage types differ on purpose. */
function columnShape(key: string, column: Column) {
  return {
    key,
    notNull: column.notNull,
    primary: column.primary,
    // SQLite fills any INTEGER PRIMARY KEY by itself (rowid), so drizzle reports a default there.
    hasDefault: column.primary ? null : column.hasDefault,
    // A Buffer column is a blob on SQLite and a custom bytea type on PostgreSQL.
    dataType: column.dataType === 'custom' ? 'buffer' : column.dataType,
    enumValues: column.enumValues ?? null,
  }
}

function shape(config: ReturnType<typeof pgConfig> | ReturnType<typeof sqliteConfig>, table: object): Shape {
  const keys = new Map<Column, string>()
  for (const [key, value] of Object.entries(table))
    if (config.columns.includes(value as never)) keys.set(value, key)
  const columns: Shape['columns'] = {}
  for (const column of config.columns as Column[])
    columns[column.name] = columnShape(keys.get(column)!, column)
  return {
    name: config.name,
    columns,
    primaryKey: config.primaryKeys.flatMap((pk) => pk.columns.map((c) => c.name)).sort(),
    indexes: config.indexes
      .map((index) => {
        const c = index.config as { name?: string; unique?: boolean; columns: { name?: string }[] }
        return `${c.name}${c.unique ? ' unique' : ''} (${c.columns.map((col) => col.name ?? 'expr').join(', ')})`
      })
      .sort(),
    foreignKeys: config.foreignKeys
      .map((fk) => {
        const ref = fk.reference()
        return `${ref.columns.map((c) => c.name).join(',')} -> ${tableName(ref.foreignTable)}(${ref.foreignColumns.map((c) => c.name).join(',')}) on delete ${fk.onDelete ?? 'no action'}`
      })
      .sort(),
  }
}

function tableName(table: object): string {
  return is(table, PgTable) ? pgConfig(table).name : sqliteConfig(table as SQLiteTable).name
}

const pgTables = Object.fromEntries(
  Object.entries(pgSchema)
    .filter(([, v]) => is(v, PgTable))
    .map(([k, v]) => [k, shape(pgConfig(v as PgTable), v as object)]),
)
const sqliteTables = Object.fromEntries(
  Object.entries(sqliteSchema)
    .filter(([, v]) => is(v, SQLiteTable))
    .map(([k, v]) => [k, shape(sqliteConfig(v as SQLiteTable), v as object)]),
)

describe('schema parity', () => {
  test('both dialects export the same tables', () => {
    expect(Object.keys(sqliteTables).sort()).toEqual(Object.keys(pgTables).sort())
    expect(Object.keys(pgTables)).toEqual(
      expect.arrayContaining(['users', 'sessions', 'settings', 'servers', 'auditLog', 'jobs']),
    )
  })

  for (const name of Object.keys(pgTables).sort()) {
    test(`${name}: same table, columns, keys and indexes`, () => {
      const pg = pgTables[name]!
      const sqlite = sqliteTables[name]
      expect(sqlite).toBeDefined()
      expect(sqlite!.name).toBe(pg.name)
      expect(Object.keys(sqlite!.columns).sort()).toEqual(Object.keys(pg.columns).sort())
      for (const column of Object.keys(pg.columns)) {
        expect({ column, ...sqlite!.columns[column] }).toEqual({ column, ...pg.columns[column] })
      }
      expect(sqlite!.primaryKey).toEqual(pg.primaryKey)
      expect(sqlite!.indexes).toEqual(pg.indexes)
      expect(sqlite!.foreignKeys).toEqual(pg.foreignKeys)
    })
  }
})

describe('migrations', () => {
  for (const dialect of ['sqlite', 'pg']) {
    test(`drizzle/${dialect} holds a journal whose every migration exists`, () => {
      const folder = join(repoRoot, 'drizzle', dialect)
      const journal = JSON.parse(readFileSync(join(folder, 'meta/_journal.json'), 'utf8')) as {
        dialect: string
        entries: { tag: string }[]
      }
      expect(journal.dialect).toBe(dialect === 'pg' ? 'postgresql' : 'sqlite')
      expect(journal.entries.length).toBeGreaterThan(0)
      for (const entry of journal.entries) expect(existsSync(join(folder, `${entry.tag}.sql`))).toBe(true)
    })
  }

  test('both dialects have the same number of migrations', () => {
    const count = (dialect: string) =>
      (
        JSON.parse(readFileSync(join(repoRoot, 'drizzle', dialect, 'meta/_journal.json'), 'utf8')) as {
          entries: unknown[]
        }
      ).entries.length
    expect(count('sqlite')).toBe(count('pg'))
  })
})
