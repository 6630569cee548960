import {createHash} from 'node:crypto'

import {InvalidInputError, quoted} from '../errors.js'

/** `read` may only read (the dashboard, the API's GETs); `admin` may do what the admin token may. */
export const ACCESS_ROLES = ['read', 'admin'] as const
export type AccessRole = (typeof ACCESS_ROLES)[number]

export const DEFAULT_ACCESS_ROLE: AccessRole = 'read'

/** The rule of a repository's name (repo-url.ts): 1 to 63 letters, digits, ".", "_" or "-", starting with a letter or digit, lower case. */
const ACCESS_TOKEN_NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/

export function isAccessTokenName(name: unknown): name is string {
  return typeof name === 'string' && ACCESS_TOKEN_NAME.test(name)
}

/** A token's name as given, trimmed and lower-cased as a repository's is (so "CI" and "ci" are one name); invalid_name when it breaks the rule. */
export function normalizeAccessTokenName(input: string): string {
  const name = input.trim().toLowerCase()
  if (!isAccessTokenName(name)) {
    throw new InvalidInputError(`invalid token name ${quoted(input)}`, {
      code: 'invalid_name',
      hint: 'use 1 to 63 letters, digits, ".", "_" or "-", starting with a letter or digit',
    })
  }
  return name
}

export function isAccessRole(role: unknown): role is AccessRole {
  return (ACCESS_ROLES as readonly unknown[]).includes(role)
}

export function parseAccessRole(input: string): AccessRole {
  const role = input.trim().toLowerCase()
  if (!isAccessRole(role)) throw new InvalidInputError(`invalid role ${quoted(input)}`, {hint: `the roles are: ${ACCESS_ROLES.join(', ')}`})
  return role
}

/**
 * What the store keeps of a token: its SHA-256, in hex. A token is 256 random bits, so no one can search
 * for the token behind a hash, and a slow password hash would buy nothing but a slower request.
 */
export function hashAccessToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

export const ACCESS_TOKEN_HASH = /^[0-9a-f]{64}$/

/** Whether a token that expires at `expiresAt` has expired at `now`: from the instant it expires. */
export function hasExpired(expiresAt: Date | null, now: Date): boolean {
  return expiresAt !== null && now.getTime() >= expiresAt.getTime()
}
