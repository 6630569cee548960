/**
 * The document as SOPS walks it (getsops/sops: sops.go, stores/stores.go), whatever the file's layout:
 * the tree every sops-* module reads or fills in, and the error they refuse a file with. The layouts
 * (sops-dotenv, sops-yaml, sops-json) read a file into this tree; sops-metadata reads its `sops` entry;
 * sops-cipher decrypts its values and checks its MAC; sops-go-scalars prints values as SOPS's Go code does.
 */

/** A scalar as SOPS holds it: a Go string, int (bigint here: int64), float64, bool, or nil. */
export type ScalarValue = string | bigint | number | boolean | null

export interface SopsScalar {
  kind: 'scalar'
  value: ScalarValue
  /** Where the YAML layout keeps it, so that the plaintext can be written back into the document. */
  origin?: unknown
}

export interface SopsMapping {
  kind: 'mapping'
  /** In the file's order; a key may repeat in JSON, as it may in SOPS's own tree. */
  items: Array<{key: string; value: SopsValue}>
}

export interface SopsSequence {
  kind: 'sequence'
  items: SopsValue[]
}

export type SopsValue = SopsScalar | SopsMapping | SopsSequence

/**
 * Why a file is refused, in words that hold no plaintext: `invalid` for a file that is not SOPS as kedge
 * reads it, `tampered` for one whose values or MAC do not authenticate.
 */
export class SopsProblem extends Error {
  constructor(
    readonly kind: 'invalid' | 'tampered',
    readonly reason: string,
    /** What to do, when it is not the general advice for its kind. */
    readonly hint?: string,
  ) {
    super(reason)
  }
}

export const invalid = (reason: string, hint?: string) => new SopsProblem('invalid', reason, hint)
export const tampered = (reason: string) => new SopsProblem('tampered', reason)

/** A file read in its layout: its documents without the metadata, which is apart. */
export interface Layout {
  branches: SopsMapping[]
  metadata: SopsMapping
  /** The document's plaintext in its own layout, once decryptTree has replaced its values. */
  plaintext(key: Buffer): string
}

/** How deep documents nest; SOPS files hold settings, and the walks over them recurse. */
export const MAX_DEPTH = 64

export function scalar(value: ScalarValue, origin?: unknown): SopsScalar {
  return origin === undefined ? {kind: 'scalar', value} : {kind: 'scalar', value, origin}
}

/** A key path as errors show it (keys are cleartext in a SOPS file; values never are shown). */
export function pathText(path: readonly string[]): string {
  return JSON.stringify(path.join('.').slice(0, 80))
}

/** Every key of the documents, for the regex rules (matched once each). */
export function keysOf(branches: readonly SopsMapping[]): Set<string> {
  const keys = new Set<string>()
  const visit = (value: SopsValue) => {
    if (value.kind === 'mapping') {
      for (const item of value.items) {
        keys.add(item.key)
        visit(item.value)
      }
    } else if (value.kind === 'sequence') value.items.forEach(visit)
  }
  branches.forEach(visit)
  return keys
}
