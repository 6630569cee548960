import {armor, Decrypter, identityToRecipient} from 'age-encryption'

import {ExternalError, InvalidInputError, quoted} from '../../model/errors.js'
import {invalid, SopsProblem} from './sops-format.js'
import type {SopsMetadata} from './sops-metadata.js'

/**
 * The file's data key, opened with an age identity (age/keysource.go). The one module that imports
 * age-encryption: its errors are not chained, since a library's message could quote what it read.
 */

const UNDECRYPTABLE_HINT =
  'the file is encrypted to other age recipients: add this repository\'s identity with `kedge repo set NAME --age-key-stdin`, or re-encrypt it with `sops updatekeys`'

/**
 * The data key, from the first age key of the file whose recipient is one of `identities`' recipients.
 * Only those are tried: an identity opens no stanza made for another recipient, and a hostile file could
 * name many.
 */
export async function dataKey(metadata: SopsMetadata, identities: readonly string[], file: string): Promise<Buffer> {
  if (metadata.age.length === 0) {
    const others = metadata.otherKeys.length > 0 ? ` (only to ${metadata.otherKeys.join(', ')}, which kedge does not use)` : ''
    throw new ExternalError(`${file}: it is encrypted to no age recipient${others}`, {
      code: 'secret_undecryptable',
      hint: 'add an age recipient to its creation rule in .sops.yaml and run `sops updatekeys` on it',
    })
  }
  const identityOf = new Map<string, string>()
  for (const identity of identities) {
    let recipient: string
    try {
      recipient = await identityToRecipient(identity)
    } catch {
      throw new InvalidInputError(`${file}: one of the age identities to decrypt it with is not one age reads`, {
        code: 'invalid_age_key',
        hint: 'give the key file age-keygen wrote: its AGE-SECRET-KEY-1… lines',
      })
    }
    if (!identityOf.has(recipient.toLowerCase())) identityOf.set(recipient.toLowerCase(), identity)
  }
  let failed: string | null = null
  for (const stanza of metadata.age) {
    const identity = identityOf.get(stanza.recipient.trim().toLowerCase())
    if (identity === undefined) continue
    let opened: Uint8Array
    try {
      const decrypter = new Decrypter()
      decrypter.addIdentity(identity)
      opened = await decrypter.decrypt(armor.decode(stanza.enc))
    } catch {
      failed = stanza.recipient
      continue
    }
    if (opened.length !== 32) throw invalid('its data key is not the 32 bytes SOPS makes')
    const key = Buffer.from(opened)
    opened.fill(0)
    return key
  }
  if (failed !== null) throw new SopsProblem('tampered', `its data key for ${quoted(failed)} does not decrypt with that recipient's identity`)
  const recipients = metadata.age.slice(0, 3).map((stanza) => quoted(stanza.recipient)).join(', ')
  const more = metadata.age.length > 3 ? ` and ${metadata.age.length - 3} more` : ''
  throw new ExternalError(
    `${file}: none of the ${identities.length} age ${identities.length === 1 ? 'identity' : 'identities'} kedge has for it opens its data key (it is encrypted to ${recipients}${more})`,
    {code: 'secret_undecryptable', hint: UNDECRYPTABLE_HINT},
  )
}
