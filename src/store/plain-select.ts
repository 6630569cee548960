import type {StoreConnection} from './connection.js'
import type {ColumnDecoding, RowColumn} from './row-columns.js'

export interface PlainSelect<Row> {
  all(db: StoreConnection, sql: string, ...params: unknown[]): Row[]
  get(db: StoreConnection, sql: string, ...params: unknown[]): Row | undefined
}

/** drizzle's own mapping of each kind of column (mapFromDriverValue). */
const DECODERS: Record<ColumnDecoding, (value: unknown) => unknown> = {
  value: (value) => value,
  date: (value) => new Date(value as number),
  boolean: (value) => Number(value) === 1,
}

/**
 * Whole rows read with a plain `SELECT *`, mapped by the table's columns (row-columns.ts) as drizzle
 * maps them (column names to keys, timestamps to dates, booleans). For the reads every command makes:
 * in a CLI process that lives for tens of milliseconds, building a query with drizzle costs several
 * times what SQLite takes to answer it.
 */
export function plainSelect<Row>(columns: readonly RowColumn[]): PlainSelect<Row> {
  const decoders = columns.map((column) => [column.key, column.name, DECODERS[column.decoding]] as const)
  const toRow = (raw: Record<string, unknown>) =>
    Object.fromEntries(decoders.map(([key, name, decode]) => [key, raw[name] === null ? null : decode(raw[name])])) as Row
  return {
    all: (db, sql, ...params) => (db.$client.prepare(sql).all(...params) as Array<Record<string, unknown>>).map(toRow),
    get: (db, sql, ...params) => {
      const raw = db.$client.prepare(sql).get(...params) as Record<string, unknown> | undefined
      return raw === undefined ? undefined : toRow(raw)
    },
  }
}
