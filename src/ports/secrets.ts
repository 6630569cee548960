/** The API's admin token, and where it came from, for the log: the variable, or the file. */
export interface AdminToken {
  token: string
  source: string
}

/** kedge's own secrets: the home's key that seals what kedge stores, the API's admin token, and the randomness new ones are made of. */
export interface Secrets {
  /**
   * `binding` names what the value is for (a repository and the kind of secret, say): opening it under
   * another binding fails, so a sealed value copied to another repository's row is useless there.
   */
  seal(plaintext: string, binding: string): string
  /**
   * The plain text of a sealed value; `owner` names what it belongs to, for the error. It is registered
   * with redaction as a secret, unless it is `composite`: secrets among other text (a notification URL),
   * whose parser registers its secret parts, and whose other parts (a host, a path) must stay readable.
   */
  open(sealed: string, binding: string, owner: string, options?: {composite?: boolean}): string
  /** KEDGE_ADMIN_TOKEN, else the home's admin.token, created with a random token the first time. */
  adminToken(): AdminToken
  /** `count` bytes from the system's cryptographic random source, for a new secret (an access token). */
  randomBytes(count: number): Uint8Array
  /**
   * An HMAC-SHA256 of `value` (hex) keyed by the home's secret key and `purpose`: a digest of a secret that
   * may be shown (in a container's label) without letting anyone who sees it test guesses of the secret.
   */
  keyedDigest(value: string, purpose: string): string
  /** The age key file KEDGE_AGE_KEY_FILE names, as text with where it came from; null when the variable is not set. */
  ageKeyFile(): {text: string; source: string} | null
}
