import {createCipheriv, createHash, randomBytes} from 'node:crypto'

import {armor, Encrypter} from 'age-encryption'

/**
 * Writes dotenv files as `sops encrypt --input-type dotenv` does, so that a test can change a secret
 * between commits: each value AES-256-GCM with a 32-byte IV and its key (`NAME:`) as additional data, the
 * MAC (SHA-512 of the values, upper-case hex) encrypted with `sops_lastmodified` as additional data, the
 * data key encrypted to the age recipient and armored. The real files in test/fixtures/sops prove that
 * kedge reads what sops writes; this writes the same format for values a test chooses.
 */
export async function sopsDotenv(values: ReadonlyArray<readonly [string, string]>, recipient: string): Promise<string> {
  const dataKey = randomBytes(32)
  const lastModified = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')
  const lines = values.map(([name, value]) => `${name}=${encryptValue(value, dataKey, `${name}:`)}`)
  const mac = createHash('sha512')
  for (const [, value] of values) mac.update(value)
  const encrypter = new Encrypter()
  encrypter.addRecipient(recipient)
  const enc = armor.encode(await encrypter.encrypt(dataKey))
  const metadata = [
    `sops_age__list_0__map_enc=${enc.replace(/\n/g, '\\n')}`,
    `sops_age__list_0__map_recipient=${recipient}`,
    `sops_lastmodified=${lastModified}`,
    `sops_mac=${encryptValue(mac.digest('hex').toUpperCase(), dataKey, lastModified)}`,
    'sops_unencrypted_suffix=_unencrypted',
    'sops_version=3.9.4',
  ]
  return `${[...lines, ...metadata].join('\n')}\n`
}

function encryptValue(value: string, key: Buffer, additionalData: string): string {
  const iv = randomBytes(32)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(Buffer.from(additionalData))
  const data = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()])
  return `ENC[AES256_GCM,data:${data.toString('base64')},iv:${iv.toString('base64')},tag:${cipher.getAuthTag().toString('base64')},type:str]`
}
