import type {SopsFormat} from '../model/config/secrets-config.js'

export type {SopsFormat} from '../model/config/secrets-config.js'

/** A SOPS file's plaintext: held in memory only, by the caller, for as long as Compose needs it. */
export interface DecryptedSecret {
  /** The whole plaintext in the file's own format, without SOPS's metadata (what `sops decrypt` prints). */
  text: string
  /**
   * The document's top-level keys and their values as strings, in the file's order, when it is a flat
   * mapping of scalars (every dotenv file; a YAML or JSON file of `KEY: value` lines); else null.
   */
  entries: ReadonlyArray<readonly [string, string]> | null
}

/** Decrypts SOPS-encrypted files with age identities. */
export interface SopsFiles {
  /**
   * The plaintext of `content`, a SOPS file in `format`; `file` names it (relative to the repository) in
   * errors. Fails with invalid_secret_file when it is not a SOPS file in that format, secret_undecryptable
   * when none of `identities` (`AGE-SECRET-KEY-1…`) opens its data key, secret_tampered when its MAC does
   * not match its values. No error's message or cause holds any part of the plaintext.
   */
  decrypt(content: string, format: SopsFormat, identities: readonly string[], file: string): Promise<DecryptedSecret>
}
