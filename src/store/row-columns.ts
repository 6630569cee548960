import {getTableColumns, type Column, type Table} from 'drizzle-orm'

import {accessTokens, deployments, engines, notificationChannels, repositories, stacks} from './schema.js'

/** What becomes of a column's value read from SQLite, as drizzle maps it. */
export type ColumnDecoding = 'value' | 'date' | 'boolean'

export interface RowColumn {
  /** The row's property. */
  key: string
  /** The column's name in SQL. */
  name: string
  decoding: ColumnDecoding
}

/**
 * The columns of the tables read with plain SQL (plain-select.ts), derived from the schema. Only data:
 * the fast path's bundle holds the values the build computed here, and none of drizzle or the schema.
 */
export const ROW_COLUMNS = {
  repositories: rowColumnsOf(repositories),
  stacks: rowColumnsOf(stacks),
  deployments: rowColumnsOf(deployments),
  notificationChannels: rowColumnsOf(notificationChannels),
  accessTokens: rowColumnsOf(accessTokens),
  engines: rowColumnsOf(engines),
}

function rowColumnsOf(table: Table): RowColumn[] {
  return Object.entries(getTableColumns(table)).map(([key, column]) => ({key, name: column.name, decoding: decodingOf(column)}))
}

function decodingOf(column: Column): ColumnDecoding {
  const mode = (column as Column & {mode?: string}).mode
  if (column.columnType === 'SQLiteInteger' || column.columnType === 'SQLiteText') return 'value'
  if (column.columnType === 'SQLiteTimestamp' && mode === 'timestamp_ms') return 'date'
  if (column.columnType === 'SQLiteBoolean') return 'boolean'
  throw new Error(`plain reads cannot decode column ${column.name} (${column.columnType}${mode ? `, ${mode}` : ''}): teach store/plain-select.ts`)
}
