import {InvalidInputError} from '../errors.js'
import {registerSecret} from './redaction.js'

/**
 * age identities (private keys) as age-keygen writes them: `AGE-SECRET-KEY-1…` lines, or
 * `AGE-SECRET-KEY-PQ-1…` for a post-quantum one, among `# created:` and `# public key:` comments and
 * blank lines. Other kinds (SSH keys, plugins) are refused: kedge decrypts SOPS files with these only.
 */
const IDENTITY_PREFIXES = ['AGE-SECRET-KEY-PQ-1', 'AGE-SECRET-KEY-1'] as const

/** Key files hold one identity or a few; this many is no key file. */
export const MAX_AGE_IDENTITIES = 100

/** bech32's alphabet, as age-keygen writes it: in upper case. */
const BECH32_ALPHABET = 'QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L'
/** 32 bytes of key in 5-bit groups (52) and the 6-group checksum. */
const KEY_GROUPS = 58

/**
 * The identities of `text`, in their order, each once; `source` names where the text came from, in
 * errors. Every line that could be key material is registered with redaction before it is checked, so
 * that one mistyped is masked too; no error repeats any part of a line.
 */
export function parseAgeIdentities(text: string, source: string): string[] {
  const lines = text.replace(/^\uFEFF/, '').split('\n').map((line) => line.trim())
  const candidates = lines.map((line, index) => ({line, number: index + 1})).filter(({line}) => line !== '' && !line.startsWith('#'))
  for (const {line} of candidates) registerSecret(line)
  const identities: string[] = []
  for (const {line, number} of candidates) {
    const problem = identityProblem(line)
    if (problem !== null) {
      throw new InvalidInputError(`${source}: line ${number} is not an age identity: ${problem}`, {code: 'invalid_age_key', hint: IDENTITY_HINT})
    }
    if (!identities.includes(line)) identities.push(line)
    if (identities.length > MAX_AGE_IDENTITIES) {
      throw new InvalidInputError(`${source}: holds more than ${MAX_AGE_IDENTITIES} age identities`, {code: 'invalid_age_key', hint: IDENTITY_HINT})
    }
  }
  if (identities.length === 0) throw new InvalidInputError(`${source}: holds no age identity`, {code: 'invalid_age_key', hint: IDENTITY_HINT})
  return identities
}

const IDENTITY_HINT = 'give the key file age-keygen wrote: its AGE-SECRET-KEY-1… lines (comments and blank lines are ignored)'

/** Why `line` is no identity, in words that repeat none of it; null when it is one. */
function identityProblem(line: string): string | null {
  if (/^age1[0-9a-z]+$/i.test(line)) return 'it is a recipient (a public key); kedge needs the AGE-SECRET-KEY-1… line that goes with it'
  if (/^-----BEGIN /.test(line) || /^(ssh-|ecdsa-)/.test(line)) return 'SSH keys are not supported'
  if (/^AGE-PLUGIN-/i.test(line)) return 'identities of age plugins are not supported'
  const prefix = IDENTITY_PREFIXES.find((candidate) => line.startsWith(candidate))
  if (prefix === undefined) return 'it does not start with AGE-SECRET-KEY-1'
  const data = line.slice(prefix.length)
  if (data.length !== KEY_GROUPS || [...data].some((char) => !BECH32_ALPHABET.includes(char))) return 'it is not as long as one, or holds characters no identity has'
  if (!bech32ChecksumHolds(prefix.slice(0, -1).toLowerCase(), data)) return 'its checksum does not match (a character was changed or lost)'
  return null
}

/** BIP 173's checksum over the human-readable part and the data: it catches a mistyped or truncated key. */
function bech32ChecksumHolds(humanPart: string, data: string): boolean {
  const values = [
    ...[...humanPart].map((char) => char.charCodeAt(0) >> 5),
    0,
    ...[...humanPart].map((char) => char.charCodeAt(0) & 31),
    ...[...data].map((char) => BECH32_ALPHABET.indexOf(char)),
  ]
  const generators = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]
  let checksum = 1
  for (const value of values) {
    const top = checksum >> 25
    checksum = ((checksum & 0x1ffffff) << 5) ^ value
    for (let bit = 0; bit < 5; bit++) if ((top >> bit) & 1) checksum ^= generators[bit]!
  }
  return checksum === 1
}
