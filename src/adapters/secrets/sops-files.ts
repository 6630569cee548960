import {ExternalError, InvalidInputError, isKedgeError} from '../../model/errors.js'
import type {DecryptedSecret, SopsFiles, SopsFormat} from '../../ports/sops.js'
import {decryptTree, verifyMac} from './sops-cipher.js'
import {dataKey} from './sops-data-key.js'
import {readDotenv} from './sops-dotenv.js'
import {invalid, keysOf, SopsProblem, type Layout, type SopsMapping} from './sops-format.js'
import {scalarText} from './sops-go-scalars.js'
import {readJson} from './sops-json.js'
import {readMetadata} from './sops-metadata.js'
import {encryptedPaths} from './sops-rules.js'
import {readYaml} from './sops-yaml.js'

/**
 * SOPS files decrypted in memory with age identities, as `sops decrypt` does (getsops/sops), for the
 * three layouts kedge reads: dotenv, YAML and JSON. Files come from repositories anyone may push to, so
 * each is bounded (size, YAML tokens, nesting, keys, the work of its regexes) before anything else, and
 * no error carries plaintext: neither in its message nor as a cause (no library error is chained, since
 * one could quote the file).
 */
export const sopsFiles: SopsFiles = {decrypt}

/** A SOPS file holds a stack's secrets, not data. */
export const SOPS_FILE_MAX_BYTES = 1024 * 1024

const LAYOUTS: Record<SopsFormat, (content: string) => Layout> = {dotenv: readDotenv, yaml: readYaml, json: readJson}

async function decrypt(content: string, format: SopsFormat, identities: readonly string[], file: string): Promise<DecryptedSecret> {
  try {
    if (Buffer.byteLength(content, 'utf8') > SOPS_FILE_MAX_BYTES) throw invalid(`it is larger than ${SOPS_FILE_MAX_BYTES / 1024 / 1024} MiB`)
    const document = LAYOUTS[format](content)
    const metadata = readMetadata(document.metadata)
    const encrypted = encryptedPaths(metadata.rule, keysOf(document.branches))
    const key = await dataKey(metadata, identities, file)
    try {
      verifyMac(metadata, decryptTree(document.branches, metadata, encrypted, key), key)
      return {text: document.plaintext(key), entries: entriesOf(document.branches)}
    } finally {
      key.fill(0)
    }
  } catch (error) {
    if (isKedgeError(error)) throw error
    // Not an expected failure: a bug. Its message could quote the document, so only its kind is kept.
    if (!(error instanceof SopsProblem)) throw new Error(`${file}: decrypting it failed unexpectedly (${error instanceof Error ? error.name : typeof error})`)
    if (error.kind === 'tampered') {
      throw new ExternalError(`${file}: ${error.reason}: it was changed after SOPS encrypted it`, {
        code: 'secret_tampered',
        hint: 'restore it from a commit where `sops decrypt` opens it, or have its author encrypt it again with sops',
      })
    }
    throw new InvalidInputError(`${file}: ${error.reason}`, {
      code: 'invalid_secret_file',
      hint: error.hint ?? `kedge reads the files sops encrypts, as kedge.yaml's format says (here ${format}): check it with \`sops decrypt --input-type ${format} ${file}\``,
    })
  }
}

/** The top-level keys and their values as text, when the file is one flat mapping of scalars. */
function entriesOf(branches: readonly SopsMapping[]): DecryptedSecret['entries'] {
  if (branches.length !== 1) return null
  const entries: Array<readonly [string, string]> = []
  for (const {key, value} of branches[0]!.items) {
    if (value.kind !== 'scalar') return null
    entries.push([key, scalarText(value.value)])
  }
  return entries
}
