import {and, eq, isNull, lte, or} from 'drizzle-orm'

import type {StoreConnection} from './connection.js'
import type {KedgeDatabase} from './database.js'
import {plainSelect} from './plain-select.js'
import {ROW_COLUMNS} from './row-columns.js'
import {accessTokens, type AccessTokenRow} from './schema.js'

const tokenRows = plainSelect<AccessTokenRow>(ROW_COLUMNS.accessTokens)

/** Every token, by name. */
export function listAccessTokens(db: StoreConnection): AccessTokenRow[] {
  return tokenRows.all(db, 'SELECT * FROM access_tokens ORDER BY name')
}

/** The token with this hash, looked up in its unique index: serve asks it for each request with a bearer token. */
export function findAccessTokenByHash(db: StoreConnection, tokenHash: string): AccessTokenRow | undefined {
  return tokenRows.get(db, 'SELECT * FROM access_tokens WHERE token_hash = ?', tokenHash)
}

export function findAccessTokenById(db: StoreConnection, id: number): AccessTokenRow | undefined {
  return tokenRows.get(db, 'SELECT * FROM access_tokens WHERE id = ?', id)
}

/**
 * The new row, or undefined when a token already has its name. One IMMEDIATE transaction, so that two
 * creations at once cannot both take the name; not ON CONFLICT DO NOTHING, which spends an id of the
 * AUTOINCREMENT sequence even when it inserts nothing: a refused creation changes nothing.
 */
export function insertAccessToken(db: KedgeDatabase, values: Omit<AccessTokenRow, 'id'>): AccessTokenRow | undefined {
  return db.$client
    .transaction(() => {
      const taken = db.select({id: accessTokens.id}).from(accessTokens).where(eq(accessTokens.name, values.name)).get()
      return taken ? undefined : db.insert(accessTokens).values(values).returning().get()
    })
    .immediate()
}

/** Records the use unless a later one is already recorded (two processes may record the same minute). */
export function recordAccessTokenUse(db: KedgeDatabase, id: number, usedAt: Date): void {
  db.update(accessTokens)
    .set({lastUsedAt: usedAt})
    .where(and(eq(accessTokens.id, id), or(isNull(accessTokens.lastUsedAt), lte(accessTokens.lastUsedAt, usedAt))))
    .run()
}

/** The deleted row, or undefined when no token has this name. */
export function deleteAccessToken(db: KedgeDatabase, name: string): AccessTokenRow | undefined {
  return db.delete(accessTokens).where(eq(accessTokens.name, name)).returning().get()
}
