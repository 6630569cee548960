import {quoted} from '../errors.js'
import {checkTimestamp, corruptRow, type BadColumn} from '../repository/row-checks.js'
import type {AccessTokenRow} from '../rows.js'
import {ACCESS_ROLES, ACCESS_TOKEN_HASH, isAccessRole, isAccessTokenName} from './access-token.js'

/**
 * Every column of an access token row kedge relies on, as `token create` writes it; corrupt_row for the
 * first that is not. A row edited by hand must not be misread: a role kedge does not know is no role at
 * all, not a read one and not an admin one.
 */
export function checkAccessTokenRow(row: AccessTokenRow): AccessTokenRow {
  const named = isAccessTokenName(row.name) ? row.name : null
  const hint = `kedge never writes this value: run "kedge token revoke ${named ?? '<name as stored>'}" and create the token again`
  const bad: BadColumn = (column, detail) => corruptRow('access_tokens', row.id, column, detail, hint)
  if (named === null) throw bad('name', `${quoted(String(row.name))} is not a token name kedge accepts`)
  if (!isAccessRole(row.role)) throw bad('role', `${quoted(String(row.role))} is not one of ${ACCESS_ROLES.join(', ')}`)
  if (typeof row.tokenHash !== 'string' || !ACCESS_TOKEN_HASH.test(row.tokenHash)) throw bad('token_hash', 'not a SHA-256 in hex')
  checkTimestamp(row.createdAt, 'created_at', bad, false)
  checkTimestamp(row.expiresAt, 'expires_at', bad)
  checkTimestamp(row.lastUsedAt, 'last_used_at', bad)
  return row
}
