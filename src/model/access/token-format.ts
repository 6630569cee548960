/**
 * What an access token (`kedge token create`) looks like: `kedge_` and 32 random bytes in base64url (43
 * characters, no padding). Only data and string checks, no node:crypto: redaction imports it, and it runs
 * in every command, the fast path's read commands too.
 */

export const ACCESS_TOKEN_PREFIX = 'kedge_'

/** 256 random bits: no token can be guessed, so a fast hash of it is all the store needs (access-token.ts). */
export const ACCESS_TOKEN_BYTES = 32

/**
 * 32 bytes are 256 bits and 43 base64url characters 258: the last character carries 2 bits of padding,
 * which a token made from 32 bytes leaves at zero. The shape is exact, so that a token a byte short or
 * one with another encoding of the same bytes is refused as unknown without a look at the store.
 */
const ACCESS_TOKEN_SHAPE = /^kedge_[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/

/**
 * A token wherever it stands in a text (a log line, an error, a header echoed back), for redaction: any 43
 * base64url characters after the prefix, not only those of the exact shape, so that one copied with a
 * typo is masked too.
 */
export const ACCESS_TOKENS_IN_TEXT = /kedge_[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g

/** The token made of these random bytes. */
export function formatAccessToken(randomBytes: Uint8Array): string {
  if (randomBytes.length !== ACCESS_TOKEN_BYTES) throw new Error(`an access token is made of ${ACCESS_TOKEN_BYTES} random bytes, not ${randomBytes.length}`)
  return ACCESS_TOKEN_PREFIX + Buffer.from(randomBytes).toString('base64url')
}

/** Whether `text` has the shape of a token kedge makes: anything else is no token of kedge's. */
export function isAccessTokenShape(text: string): boolean {
  return ACCESS_TOKEN_SHAPE.test(text)
}
