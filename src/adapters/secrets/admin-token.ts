import {randomBytes} from 'node:crypto'
import path from 'node:path'

import {errorMessage, ExternalError, InvalidInputError} from '../../model/errors.js'
import {registerSecret} from '../../model/secrets/redaction.js'
import type {AdminToken} from '../../ports/secrets.js'
import {writeFileOnce} from './write-once.js'

export const ADMIN_TOKEN_ENV = 'KEDGE_ADMIN_TOKEN'
const MIN_TOKEN_LENGTH = 16

/** KEDGE_ADMIN_TOKEN, else `admin.token` in the home, created (0600) with a random token the first time. */
export function loadAdminToken(home: string): AdminToken {
  const fromEnv = process.env[ADMIN_TOKEN_ENV]?.trim()
  if (fromEnv !== undefined && fromEnv.length > 0) return {token: requireStrong(fromEnv, ADMIN_TOKEN_ENV), source: ADMIN_TOKEN_ENV}
  const file = path.join(home, 'admin.token')
  let token: string
  try {
    token = writeFileOnce(file, `${randomBytes(32).toString('base64url')}\n`).trim()
  } catch (error) {
    throw new ExternalError(`cannot create the admin token ${file}: ${errorMessage(error)}`, {code: 'admin_token_unreadable', cause: error})
  }
  registerSecret(token)
  return {token: requireStrong(token, file), source: file}
}

/** A guessable token would open the whole API. */
function requireStrong(token: string, source: string): string {
  if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) {
    throw new InvalidInputError(`${source} does not hold a usable admin token: it needs ${MIN_TOKEN_LENGTH} or more characters without white space`, {
      code: 'invalid_admin_token',
      hint: `delete ${source === ADMIN_TOKEN_ENV ? 'the variable' : 'the file'} to have kedge generate one, or set one made with: openssl rand -hex 32`,
    })
  }
  return token
}
