import type {Statement} from 'better-sqlite3'

import type {StoreConnection} from './connection.js'
import {oncePerDatabase} from './once-per-database.js'
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
 * times what SQLite takes to answer it. SQLite's rows come as arrays: better-sqlite3 takes several
 * times longer to make them objects keyed by column name. bench/cli-latency.ts measures what it buys
 * (docs/performance.md, "No drizzle").
 */
export function plainSelect<Row>(columns: readonly RowColumn[]): PlainSelect<Row> {
  // Each query prepared once per connection: serve asks the same ones at every round.
  const queriesOf = oncePerDatabase((_client: StoreConnection['$client']) => new Map<string, ReturnType<typeof read>>())
  // The columns named rather than `*`: a statement kept while another process migrates the database is
  // compiled again by SQLite, and `*` would then expand to the columns in their new order.
  const selected = `SELECT ${columns.map((column) => `"${column.name}"`).join(', ')} `
  const read = (db: StoreConnection, sql: string) => {
    if (!sql.startsWith('SELECT * ')) throw new Error(`a plain select reads whole rows: ${sql}`)
    const statement = db.$client.prepare(selected + sql.slice('SELECT * '.length)).raw(true)
    const decoders = columns.map((column, position) => [column.key, position, DECODERS[column.decoding]] as const)
    const toRow = (values: unknown[]) => {
      const row: Record<string, unknown> = {}
      for (const [key, position, decode] of decoders) row[key] = values[position] === null ? null : decode(values[position])
      return row as Row
    }
    return {statement: statement as Statement<unknown[], unknown[]>, toRow}
  }
  const preparedFor = (db: StoreConnection, sql: string) => {
    const byQuery = queriesOf(db.$client)
    let query = byQuery.get(sql)
    if (!query) byQuery.set(sql, (query = read(db, sql)))
    return query
  }
  return {
    all: (db, sql, ...params) => {
      const {statement, toRow} = preparedFor(db, sql)
      return statement.all(...params).map(toRow)
    },
    get: (db, sql, ...params) => {
      const {statement, toRow} = preparedFor(db, sql)
      const values = statement.get(...params)
      return values === undefined ? undefined : toRow(values)
    },
  }
}
