import {getTableColumns, type Table} from 'drizzle-orm'

import type {StoreConnection} from './connection.js'

export interface PlainSelect<Row> {
  all(db: StoreConnection, sql: string, ...params: unknown[]): Row[]
  get(db: StoreConnection, sql: string, ...params: unknown[]): Row | undefined
}

/**
 * Whole rows of `table` read with a plain `SELECT *`, mapped by the table's own column definitions as
 * drizzle maps them (column names to keys, timestamps to dates, booleans). For the reads every command
 * makes: in a CLI process that lives for tens of milliseconds, building a query with drizzle costs
 * several times what SQLite takes to answer it.
 */
export function plainSelect<T extends Table>(table: T): PlainSelect<T['$inferSelect']> {
  const columns = Object.entries(getTableColumns(table))
  const toRow = (raw: Record<string, unknown>) =>
    Object.fromEntries(columns.map(([key, column]) => [key, raw[column.name] === null ? null : column.mapFromDriverValue(raw[column.name])])) as T['$inferSelect']
  return {
    all: (db, sql, ...params) => (db.$client.prepare(sql).all(...params) as Array<Record<string, unknown>>).map(toRow),
    get: (db, sql, ...params) => {
      const raw = db.$client.prepare(sql).get(...params) as Record<string, unknown> | undefined
      return raw === undefined ? undefined : toRow(raw)
    },
  }
}
