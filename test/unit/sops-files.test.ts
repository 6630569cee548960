import assert from 'node:assert/strict'
import {createCipheriv, createHash, randomBytes} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {describe, it} from 'node:test'

import {armor, Encrypter, generateIdentity, identityToRecipient} from 'age-encryption'
import {parse as parseYaml} from 'yaml'

import {sopsFiles, SOPS_FILE_MAX_BYTES} from '../../src/adapters/secrets/sops-files.js'
import {formatFloatF, goRfc3339, parseGoBool, parseGoFloat, parseGoInt, scalarText} from '../../src/adapters/secrets/sops-go-scalars.js'
import {isKedgeError, type KedgeError} from '../../src/model/errors.js'
import {parseAgeIdentities} from '../../src/model/secrets/age-identities.js'
import type {DecryptedSecret, SopsFormat} from '../../src/ports/sops.js'

// Real files SOPS encrypted to its published test key (test/fixtures/sops/README.md says where from).
const fixture = (name: string) => readFileSync(new URL(`../fixtures/sops/${name}`, import.meta.url), 'utf8')
const TEST_KEYS = parseAgeIdentities(fixture('keys.txt'), 'keys.txt')
const EXAMPLE_YAML = fixture('example.yaml')
const EXAMPLE_JSON = fixture('example.json')

/** The RSA key getsops/sops's README prints for `sops -d --extract '["app2"]["key"]' example.yaml`. */
const README_RSA_KEY = `-----BEGIN RSA PRIVATE KEY-----
MIIBPAIBAAJBAPTMNIyHuZtpLYc7VsHQtwOkWYobkUblmHWRmbXzlAX6K8tMf3Wf
ImcbNkqAKnELzFAPSBeEMhrBN0PyOC9lYlMCAwEAAQJBALXD4sjuBn1E7Y9aGiMz
bJEBuZJ4wbhYxomVoQKfaCu+kH80uLFZKoSz85/ySauWE8LgZcMLIBoiXNhDKfQL
vHECIQD6tCG9NMFWor69kgbX8vK5Y+QL+kRq+9HK6yZ9a+hsLQIhAPn4Ie6HGTjw
fHSTXWZpGSan7NwTkIu4U5q2SlLjcZh/AiEA78NYRRBwGwAYNUqzutGBqyXKUl4u
Erb0xAEyVV7e8J0CIQC8VBY8f8yg+Y7Kxbw4zDYGyb3KkXL10YorpeuZR4LuQQIg
bKGPkMM4w5blyE1tqGN0T7sJwEx+EUOgacRNqM2ljVA=
-----END RSA PRIVATE KEY-----
`

/** Values of the fixtures' plaintext that no error may show. */
const PLAINTEXT = [
  't00m4nys3cr3tzupdated',
  'c4r1b0u',
  'secretuser1',
  'secretuser2',
  'with something secret in it',
  'private key for secret operations',
  'MIIBPAIBAAJBAPTMNIyHuZtpLYc7VsHQtwOkWYobkUblmHWRmbXzlAX6K8tMf3Wf',
  '10021-3100',
  '21 2nd Street',
  '212 555-1234',
]

async function decrypt(content: string, format: SopsFormat, identities: readonly string[] = TEST_KEYS, file = 'secrets/app.enc'): Promise<DecryptedSecret> {
  return sopsFiles.decrypt(content, format, identities, file)
}

/** Every text an error shows or holds: message, hint, and those of its causes. */
function texts(error: unknown): string[] {
  const found: string[] = []
  for (let current = error, depth = 0; current !== undefined && current !== null && depth < 10; depth++) {
    if (current instanceof Error) {
      found.push(current.message, String(current.stack ?? ''))
      if (isKedgeError(current) && current.hint) found.push(current.hint)
      current = current.cause
    } else {
      found.push(String(current))
      break
    }
  }
  return found
}

/** The error decrypting fails with, checked for what every such error must be, and for leaks of `secrets`. */
async function failure(
  content: string,
  format: SopsFormat,
  code: string,
  {identities = TEST_KEYS, secrets = PLAINTEXT}: {identities?: readonly string[]; secrets?: readonly string[]} = {},
): Promise<KedgeError> {
  try {
    await decrypt(content, format, identities, 'secrets/app.enc')
  } catch (error) {
    assert.ok(isKedgeError(error), String(error))
    assert.equal(error.code, code, error.message)
    assert.ok(!error.message.includes('\n'), `one line: ${error.message}`)
    assert.ok(error.message.startsWith('secrets/app.enc: '), error.message)
    assert.ok(error.hint, 'a hint says what to do')
    for (const text of texts(error)) {
      for (const secret of [...secrets, ...identities]) assert.ok(!text.includes(secret), `${JSON.stringify(text)} shows ${secret}`)
    }
    return error
  }
  assert.fail(`expected ${code}`)
}

// ---------------------------------------------------------------------------------------------------
// Files encrypted here, as SOPS encrypts them, for what the real files do not show (ints, rules, layouts)

interface PlainValue {
  key: string
  /** The bytes SOPS encrypts and hashes for the value: Go's print of it (True for a bool, 0.5 for a float). */
  text: string
  type?: 'str' | 'int' | 'float' | 'bool'
  /** False for a value the file's rule leaves in the clear (a string, then). */
  encrypted?: boolean
}

interface SopsOptions {
  recipients?: readonly string[]
  /** The encryption rule, as the metadata field and its value; unencrypted_suffix `_unencrypted` when absent. */
  rule?: readonly [string, string]
  macOnlyEncrypted?: boolean
  /** Key groups, each holding every recipient; none: the age list at the top. */
  keyGroups?: number
  lastModified?: string
}

const TEST_RECIPIENT = 'age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw'

function encryptValue(plaintext: string, type: string, aad: string, key: Buffer): string {
  const iv = randomBytes(32)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(Buffer.from(aad))
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  return `ENC[AES256_GCM,data:${data.toString('base64')},iv:${iv.toString('base64')},tag:${cipher.getAuthTag().toString('base64')},type:${type}]`
}

/** A flat SOPS file in `format`, and its data key; values are encrypted with their key as path, the MAC as SOPS computes it. */
async function sopsFile(format: SopsFormat, values: readonly PlainValue[], options: SopsOptions = {}): Promise<{content: string; key: Buffer}> {
  const key = randomBytes(32)
  const lastModified = options.lastModified ?? '2024-05-01T10:00:00Z'
  const hash = createHash('sha512')
  if (options.macOnlyEncrypted) hash.update(createHash('sha256').update('sops').digest())
  const laid = values.map((value) => {
    const encrypted = value.encrypted ?? true
    if (!options.macOnlyEncrypted || encrypted) hash.update(value.text)
    return {key: value.key, value: encrypted ? encryptValue(value.text, value.type ?? 'str', `${value.key}:`, key) : value.text}
  })
  const age = await Promise.all(
    (options.recipients ?? [TEST_RECIPIENT]).map(async (recipient) => {
      const encrypter = new Encrypter()
      encrypter.addRecipient(recipient)
      return {recipient, enc: armor.encode(await encrypter.encrypt(key))}
    }),
  )
  const [ruleName, ruleValue] = options.rule ?? ['unencrypted_suffix', '_unencrypted']
  const metadata: Array<[string, unknown]> = [
    options.keyGroups === undefined ? ['age', age] : ['key_groups', Array.from({length: options.keyGroups}, () => ({age}))],
    ['lastmodified', lastModified],
    ['mac', encryptValue(hash.digest('hex').toUpperCase(), 'str', lastModified, key)],
    [ruleName, ruleValue],
    ...(options.macOnlyEncrypted ? [['mac_only_encrypted', true] as [string, unknown]] : []),
    ['version', '3.9.0'],
  ]
  if (format === 'dotenv') {
    const lines = laid.map(({key: name, value}) => `${name}=${value.replaceAll('\n', '\\n')}`)
    const flat = (prefix: string, value: unknown): string[] => {
      if (Array.isArray(value)) return value.flatMap((item, index) => flat(`${prefix}__list_${index}`, item))
      if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([name, item]) => flat(`${prefix}__map_${name}`, item))
      return [`${prefix}=${String(value).replaceAll('\n', '\\n')}`]
    }
    for (const [name, value] of metadata) lines.push(...flat(`sops_${name}`, value))
    return {content: `${lines.join('\n')}\n`, key}
  }
  const sops = `{${metadata.map(([name, value]) => `${JSON.stringify(name)}: ${JSON.stringify(value)}`).join(', ')}}`
  if (format === 'json') return {content: `{\n${laid.map(({key: name, value}) => `  ${JSON.stringify(name)}: ${JSON.stringify(value)},\n`).join('')}  "sops": ${sops}\n}\n`, key}
  const yamlKey = (name: string) => (/^[A-Za-z_]\w*$/.test(name) ? name : JSON.stringify(name))
  return {content: `${laid.map(({key: name, value}) => `${yamlKey(name)}: ${JSON.stringify(value)}\n`).join('')}sops: ${sops}\n`, key}
}

// ---------------------------------------------------------------------------------------------------

describe('SOPS files: real files encrypted to the test key', () => {
  it('decrypts a YAML file: values of every type, lists, nested keys, comments, and values left in the clear', async () => {
    const {text, entries} = await decrypt(EXAMPLE_YAML, 'yaml')
    assert.equal(entries, null, 'a nested document has no entries')
    assert.ok(!/^sops:/m.test(text) && !text.includes('ENC['), 'no metadata and no ciphertext left')
    const document = parseYaml(text) as Record<string, unknown>
    assert.deepEqual(Object.keys(document), ['myapp1', 'app2', 'number', 'an_array', 'somebooleans', 'this', 'somelist_unencrypted', 'nested_unencrypted'])
    assert.equal(document.myapp1, 't00m4nys3cr3tzupdated')
    assert.deepEqual(document.app2, {db: {user: 'eve', password: 'c4r1b0u'}, key: README_RSA_KEY})
    assert.deepEqual((document.an_array as string[]).slice(0, 2), ['secretuser1', 'secretuser2'])
    assert.deepEqual(document.somebooleans, [true, false], 'bools come back as YAML booleans')
    assert.equal(document.number, 1234568000, 'a float comes back as a number')
    assert.deepEqual(document.this, {is: {a: {nested: {value: 'with something secret in it'}}}})
    assert.deepEqual(document.somelist_unencrypted, ['all elements of this list', 'remain in clear text', 'because of the _encrypted suffix in the key'])
    assert.match(text, /# private key for secret operations in app2/, 'encrypted comments are decrypted, as sops does')
    assert.match(text, /# sops supports unencrypted fields\n\s+# by adding the `_unencrypted` suffix\n\s+# to any key/)
  })

  it('opens the data key with any identity the file is encrypted to', async () => {
    const withSecondOnly = await decrypt(EXAMPLE_YAML, 'yaml', [TEST_KEYS[1]!])
    assert.equal(withSecondOnly.text, (await decrypt(EXAMPLE_YAML, 'yaml', [TEST_KEYS[0]!])).text)
  })

  it('decrypts a JSON file in its order, with its float and its empty value', async () => {
    const {text, entries} = await decrypt(EXAMPLE_JSON, 'json')
    assert.equal(entries, null)
    assert.ok(text.endsWith('}\n'))
    const document = JSON.parse(text) as Record<string, unknown>
    assert.deepEqual(document, {
      firstName: 'John',
      lastName: 'Smith',
      age: 25.4,
      address: {city: 'New York', postalCode: '10021-3100', state: 'NY', streetAddress: '21 2nd Street'},
      phoneNumbers: [
        {number: '212 555-1234', type: 'home'},
        {number: '646 555-4567', type: 'office'},
      ],
      anEmptyValue: '',
    })
    assert.deepEqual(Object.keys(document), ['firstName', 'lastName', 'age', 'address', 'phoneNumbers', 'anEmptyValue'])
    assert.equal(text, `${JSON.stringify(document, null, 2)}\n`)
  })

  it('gives the entries of a flat file: a newer SOPS\'s YAML, and the same file laid out as dotenv', async () => {
    const yaml = await decrypt(fixture('test.sops.enc.yml'), 'yaml')
    assert.deepEqual(yaml.entries, [['version', '3']])
    assert.deepEqual(parseYaml(yaml.text), {version: '3'}, 'the string stays a string')
    const dotenv = await decrypt(fixture('test.sops.derived.env'), 'dotenv')
    assert.equal(dotenv.text, 'version=3\n')
    assert.deepEqual(dotenv.entries, [['version', '3']])
  })

  it('fails with secret_undecryptable when no identity opens the data key, naming the recipients', async () => {
    const other = await generateIdentity()
    const error = await failure(EXAMPLE_YAML, 'yaml', 'secret_undecryptable', {identities: [other]})
    assert.equal(error.exitCode, 1)
    assert.match(error.message, /age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw/)
    assert.match(error.hint!, /kedge repo set NAME --age-key-stdin/)
    assert.match(error.hint!, /sops updatekeys/)
  })

  it('fails with secret_undecryptable for a real dotenv file encrypted to PGP only', async () => {
    const error = await failure(fixture('format.enc.env'), 'dotenv', 'secret_undecryptable')
    assert.match(error.message, /no age recipient \(only to pgp/)
  })

  it('fails with secret_tampered when one encrypted value is changed', async () => {
    const changed = EXAMPLE_YAML.replace('data:KhLDS2R2H/BH32vUit2BGhNONIq8', 'data:KhLDS2R2H/BH32vUit2BGhNONIq9')
    assert.notEqual(changed, EXAMPLE_YAML)
    const error = await failure(changed, 'yaml', 'secret_tampered')
    assert.equal(error.exitCode, 1)
    assert.match(error.message, /"myapp1"/)
  })

  it('fails with secret_tampered when two values of a list are swapped (each still decrypts: the MAC tells)', async () => {
    const lines = EXAMPLE_YAML.split('\n')
    const first = lines.findIndex((line) => line.startsWith('an_array:')) + 1
    ;[lines[first], lines[first + 1]] = [lines[first + 1]!, lines[first]!]
    const error = await failure(lines.join('\n'), 'yaml', 'secret_tampered')
    assert.match(error.message, /MAC does not match/)
  })

  it('fails with secret_tampered when two values of a JSON file trade places, or a value in the clear changes', async () => {
    const document = JSON.parse(EXAMPLE_JSON) as Record<string, string>
    const swapped = EXAMPLE_JSON.replace(document.firstName!, '@first').replace(document.lastName!, document.firstName!).replace('@first', document.lastName!)
    await failure(swapped, 'json', 'secret_tampered')
    await failure(EXAMPLE_YAML.replace('remain in clear text', 'remain in plain text'), 'yaml', 'secret_tampered')
    await failure(EXAMPLE_YAML.replace('lastmodified: "2022-03-15T22:11:15Z"', 'lastmodified: "2022-03-15T22:11:16Z"'), 'yaml', 'secret_tampered')
  })

  it('fails with secret_tampered when a value that should be encrypted is in the clear', async () => {
    await failure(EXAMPLE_YAML.replace(/^myapp1: .*$/m, 'myapp1: hello'), 'yaml', 'secret_tampered')
    await failure(EXAMPLE_YAML.replace(/^number: .*$/m, 'number: 12'), 'yaml', 'secret_tampered')
  })

  it('fails with invalid_secret_file for a file that is not SOPS, or not in the format given', async () => {
    await failure('DB_PASSWORD=hunter22\n', 'dotenv', 'invalid_secret_file')
    await failure('password: hunter22\n', 'yaml', 'invalid_secret_file')
    await failure('{"password": "hunter22"}', 'json', 'invalid_secret_file')
    await failure('[1, 2]', 'json', 'invalid_secret_file')
    await failure('', 'yaml', 'invalid_secret_file')
    await failure('\u0000\u0001\u0002binary', 'json', 'invalid_secret_file')
    const asDotenv = await failure(EXAMPLE_YAML, 'dotenv', 'invalid_secret_file')
    assert.match(asDotenv.message, /line 2 is not KEY=value/)
    assert.match(asDotenv.hint!, /sops decrypt --input-type dotenv secrets\/app\.enc/)
    await failure(EXAMPLE_JSON.slice(0, 400), 'json', 'invalid_secret_file')
    await failure(EXAMPLE_YAML.replace('myapp1:', 'app2:'), 'yaml', 'invalid_secret_file')
  })
})

describe('SOPS files: values, layouts and rules', () => {
  const typed: PlainValue[] = [
    {key: 'PORT', text: '8080', type: 'int'},
    {key: 'DEBUG', text: 'True', type: 'bool'},
    {key: 'RATIO', text: '0.5', type: 'float'},
    {key: 'WHOLE', text: '2', type: 'float'},
    {key: 'HUGE', text: '9223372036854775807', type: 'int'},
    {key: 'PASSWORD', text: 'p@ss word\nsecond line'},
  ]

  it('gives each type back as SOPS prints it, in YAML', async () => {
    const {content} = await sopsFile('yaml', typed)
    const {text, entries} = await decrypt(content, 'yaml')
    assert.deepEqual(entries, [
      ['PORT', '8080'],
      ['DEBUG', 'true'],
      ['RATIO', '0.5'],
      ['WHOLE', '2.0'],
      ['HUGE', '9223372036854775807'],
      ['PASSWORD', 'p@ss word\nsecond line'],
    ])
    assert.match(text, /^PORT: 8080$/m)
    assert.match(text, /^DEBUG: true$/m)
    assert.match(text, /^RATIO: 0.5$/m)
    assert.match(text, /^HUGE: 9223372036854775807$/m)
    assert.deepEqual(parseYaml(text, {intAsBigInt: true}), {PORT: 8080n, DEBUG: true, RATIO: 0.5, WHOLE: 2n, HUGE: 9223372036854775807n, PASSWORD: 'p@ss word\nsecond line'})
  })

  it('gives each type back as SOPS prints it, in JSON and dotenv', async () => {
    const json = await decrypt((await sopsFile('json', typed)).content, 'json')
    assert.equal(json.text, '{\n  "PORT": 8080,\n  "DEBUG": true,\n  "RATIO": 0.5,\n  "WHOLE": 2,\n  "HUGE": 9223372036854775807,\n  "PASSWORD": "p@ss word\\nsecond line"\n}\n')
    const dotenv = await decrypt((await sopsFile('dotenv', typed)).content, 'dotenv')
    assert.equal(dotenv.text, 'PORT=8080\nDEBUG=true\nRATIO=0.5\nWHOLE=2.0\nHUGE=9223372036854775807\nPASSWORD=p@ss word\\nsecond line\n')
    assert.deepEqual(dotenv.entries, json.entries)
  })

  it('keeps a dotenv file\'s comments, decrypted, where they were', async () => {
    const {content, key} = await sopsFile('dotenv', [{key: 'A', text: 'one'}, {key: 'B', text: 'two'}])
    const comment = `#${encryptValue(' the database', 'comment', ':', key)}`
    const lines = content.split('\n')
    lines.splice(1, 0, comment, '#a plain comment')
    const {text, entries} = await decrypt(lines.join('\n'), 'dotenv')
    assert.equal(text, 'A=one\n# the database\n#a plain comment\nB=two\n')
    assert.deepEqual(entries, [['A', 'one'], ['B', 'two']])
  })

  it('reads the rules that leave values in the clear: a suffix, encrypted_regex, unencrypted_regex', async () => {
    const bySuffix = await sopsFile('yaml', [{key: 'password', text: 'hunter22'}, {key: 'user_unencrypted', text: 'bob', encrypted: false}])
    assert.deepEqual((await decrypt(bySuffix.content, 'yaml')).entries, [['password', 'hunter22'], ['user_unencrypted', 'bob']])
    const byRegex = await sopsFile(
      'dotenv',
      [{key: 'DB_PASSWORD', text: 'hunter22'}, {key: 'DB_HOST', text: 'db', encrypted: false}, {key: 'API_TOKEN', text: 'tok'}],
      {rule: ['encrypted_regex', '(?i)(password|token)$']},
    )
    assert.deepEqual((await decrypt(byRegex.content, 'dotenv')).entries, [['DB_PASSWORD', 'hunter22'], ['DB_HOST', 'db'], ['API_TOKEN', 'tok']])
    const byUnencryptedRegex = await sopsFile('json', [{key: 'name', text: 'app', encrypted: false}, {key: 'secret', text: 's3cr3t'}], {rule: ['unencrypted_regex', '^(na\\_?me)$']})
    assert.deepEqual((await decrypt(byUnencryptedRegex.content, 'json')).entries, [['name', 'app'], ['secret', 's3cr3t']])
  })

  it('reads mac_only_encrypted, and one key group', async () => {
    const macOnly = await sopsFile('yaml', [{key: 'token', text: 'abc123'}, {key: 'host_unencrypted', text: 'example.org', encrypted: false}], {macOnlyEncrypted: true})
    assert.deepEqual((await decrypt(macOnly.content, 'yaml')).entries, [['token', 'abc123'], ['host_unencrypted', 'example.org']])
    const grouped = await sopsFile('dotenv', [{key: 'TOKEN', text: 'abc123'}], {keyGroups: 1})
    assert.deepEqual((await decrypt(grouped.content, 'dotenv')).entries, [['TOKEN', 'abc123']])
  })

  it('refuses what kedge does not support, saying so: Shamir key groups, comment regexes, an identity it cannot read', async () => {
    const shamir = await failure((await sopsFile('yaml', [{key: 'a', text: 'b'}], {keyGroups: 2})).content, 'yaml', 'invalid_secret_file')
    assert.match(shamir.message, /2 key groups \(Shamir/)
    const comments = await failure((await sopsFile('yaml', [{key: 'a', text: 'b'}], {rule: ['encrypted_comment_regex', 'sops:enc']})).content, 'yaml', 'invalid_secret_file')
    assert.match(comments.message, /encrypted_comment_regex/)
    const {content} = await sopsFile('yaml', [{key: 'a', text: 'b'}])
    await failure(content, 'yaml', 'invalid_age_key', {identities: ['AGE-SECRET-KEY-1QQQQQQ']})
  })

  it('never shows plaintext or the data key in an error', async () => {
    const {content, key} = await sopsFile('dotenv', [{key: 'PASSWORD', text: 'correct-horse-battery'}, {key: 'PORT', text: 'eighty', type: 'int'}])
    const secrets = ['correct-horse-battery', 'eighty', key.toString('base64'), key.toString('hex'), key.toString('base64').slice(0, 12)]
    const notAnInt = await failure(content, 'dotenv', 'invalid_secret_file', {secrets})
    assert.match(notAnInt.message, /"PORT" is not of the type SOPS recorded/)
    await failure(content.replace(/^PASSWORD=ENC\[AES256_GCM,data:./m, (start) => `${start.slice(0, -1)}${start.endsWith('A') ? 'B' : 'A'}`), 'dotenv', 'secret_tampered', {secrets})
    await failure(content, 'dotenv', 'secret_undecryptable', {identities: [await generateIdentity()], secrets})
  })
})

describe('SOPS files: files anyone could have committed', () => {
  it('refuses a file over 1 MiB before reading it', async () => {
    const error = await failure(`A=${'x'.repeat(SOPS_FILE_MAX_BYTES)}\n`, 'dotenv', 'invalid_secret_file')
    assert.match(error.message, /larger than 1 MiB/)
  })

  it('keeps __proto__ a key like any other', async () => {
    for (const format of ['yaml', 'json', 'dotenv'] as const) {
      const {content} = await sopsFile(format, [{key: '__proto__', text: '{"polluted": true}'}, {key: 'constructor', text: 'x'}])
      const {entries} = await decrypt(content, format)
      assert.deepEqual(entries, [['__proto__', '{"polluted": true}'], ['constructor', 'x']])
      assert.equal(({} as Record<string, unknown>).polluted, undefined)
    }
  })

  it('refuses YAML aliases, foreign tags, repeated keys and deep nesting', async () => {
    const {content} = await sopsFile('yaml', [{key: 'a', text: 'b'}])
    const cases = [
      `x: &anchor [1, 2]\ny: [*anchor, *anchor]\n${content}`,
      `x: !!binary aGVsbG8=\n${content}`,
      `x: !custom 1\n${content}`,
      `a: 1\n${content}`,
      `1: one\n${content}`,
      `deep: ${'['.repeat(100)}${']'.repeat(100)}\n${content}`,
      `${content}---\n- a list\n`,
    ]
    for (const yaml of cases) await failure(yaml, 'yaml', 'invalid_secret_file')
  })

  it('refuses metadata of the wrong shape without failing otherwise', async () => {
    const {content} = await sopsFile('yaml', [{key: 'a', text: 'b'}])
    const metadata = content.slice(content.indexOf('sops: '))
    const cases = [
      'a: b\nsops: 5\n',
      'a: b\nsops: {}\n',
      'a: b\nsops: {"age": 5, "lastmodified": "2024-05-01T10:00:00Z"}\n',
      'a: b\nsops: {"age": [[1]], "lastmodified": "2024-05-01T10:00:00Z"}\n',
      'a: b\nsops: {"age": [{"recipient": {"x": 1}, "enc": "y"}], "lastmodified": "2024-05-01T10:00:00Z"}\n',
      content.replace('"lastmodified": "2024-05-01T10:00:00Z"', '"lastmodified": [1]'),
      content.replace('"lastmodified": "2024-05-01T10:00:00Z"', '"lastmodified": "yesterday"'),
      content.replace('"unencrypted_suffix"', '"unencrypted_suffix":"_x","encrypted_suffix"'),
      `a: b\n${metadata.replace('"version"', '"mac_only_encrypted":"perhaps","version"')}`,
    ]
    for (const yaml of cases) {
      assert.notEqual(yaml, content)
      await failure(yaml, 'yaml', 'invalid_secret_file')
    }
    const dotenv = [
      'A=b\nsops_age__list_1__map_recipient=age1x\nsops_lastmodified=2024-05-01T10:00:00Z\n',
      'A=b\nsops_age=x\nsops_age__list_0__map_enc=y\nsops_lastmodified=2024-05-01T10:00:00Z\n',
      `A=b\nsops_${'x__map_'.repeat(200)}y=1\n`,
    ]
    for (const text of dotenv) await failure(text, 'dotenv', 'invalid_secret_file')
  })

  it('gives up on a regex of the file that would run for ever, within its deadline', async () => {
    const {content} = await sopsFile('yaml', [{key: `${'a'.repeat(40)}!`, text: 'x', encrypted: false}], {rule: ['encrypted_regex', '^(a+)+$']})
    const started = Date.now()
    const error = await failure(content, 'yaml', 'invalid_secret_file')
    assert.match(error.message, /takes too long/)
    assert.ok(Date.now() - started < 5000)
  })

  it('refuses a Go regex JavaScript cannot run the same way', async () => {
    const {content} = await sopsFile('yaml', [{key: 'a', text: 'x', encrypted: false}], {rule: ['encrypted_regex', '[[:alpha:]]+']})
    await failure(content, 'yaml', 'invalid_secret_file')
  })

  it('refuses an age-encrypted data key that claims the recipient and is not for it', async () => {
    const stranger = await generateIdentity()
    const {content} = await sopsFile('yaml', [{key: 'a', text: 'b'}], {recipients: [await identityToRecipient(stranger)]})
    const forged = content.replace(await identityToRecipient(stranger), TEST_RECIPIENT)
    await failure(forged, 'yaml', 'secret_tampered')
  })
})

describe('SOPS files: scalars as Go reads and prints them (the MAC hashes the prints)', () => {
  it('prints a float as strconv.FormatFloat(f, \'f\', -1, 64)', () => {
    const cases: Array<[number, string]> = [
      [25.4, '25.4'],
      [1234568000, '1234568000'],
      [1e21, '1000000000000000000000'],
      [1e-7, '0.0000001'],
      [0.1 + 0.2, '0.30000000000000004'],
      [5e-324, `0.${'0'.repeat(323)}5`],
      [0, '0'],
      [-0, '-0'],
      [-1.5, '-1.5'],
      [Infinity, '+Inf'],
      [-Infinity, '-Inf'],
      [NaN, 'NaN'],
    ]
    for (const [value, printed] of cases) assert.equal(formatFloatF(value), printed, String(value))
  })

  it('prints a scalar for a dotenv file as stores.ValToString', () => {
    const cases: Array<[Parameters<typeof scalarText>[0], string]> = [
      [2, '2.0'],
      [0.5, '0.5'],
      [123456, '123456.0'],
      [1e6, '1E+06'],
      [1234567, '1.234567E+06'],
      [0.0001, '0.0001'],
      [0.00001, '1E-05'],
      [-2.5e-10, '-2.5E-10'],
      [1e100, '1E+100'],
      [NaN, 'NaN'],
      [Infinity, '+Inf'],
      [8080n, '8080'],
      [true, 'true'],
      [false, 'false'],
      ['text', 'text'],
      [null, ''],
    ]
    for (const [value, printed] of cases) assert.equal(scalarText(value), printed, String(value))
  })

  it('reads ints, floats and bools as strconv.Atoi, ParseFloat and ParseBool', () => {
    assert.equal(parseGoInt('+42'), 42n)
    assert.equal(parseGoInt('-9223372036854775808'), -(2n ** 63n))
    for (const refused of ['9223372036854775808', '1_000', '0x1F', '1.0', '', ' 1']) assert.equal(parseGoInt(refused), null, refused)
    assert.equal(parseGoFloat('25.4'), 25.4)
    assert.equal(parseGoFloat('.5'), 0.5)
    assert.equal(parseGoFloat('1e3'), 1000)
    assert.equal(parseGoFloat('-Infinity'), -Infinity)
    assert.ok(Number.isNaN(parseGoFloat('NaN')))
    for (const refused of ['1e400', '0x1p-2', 'one', '']) assert.equal(parseGoFloat(refused), null, refused)
    assert.equal(parseGoBool('True'), true)
    assert.equal(parseGoBool('f'), false)
    assert.equal(parseGoBool('yes'), null)
  })

  it('reads an RFC 3339 time as time.Parse and prints it as RFC3339 or RFC3339Nano', () => {
    assert.equal(goRfc3339('2022-03-15T22:11:15Z', false), '2022-03-15T22:11:15Z')
    assert.equal(goRfc3339('2022-03-15T22:11:15+00:00', false), '2022-03-15T22:11:15Z')
    assert.equal(goRfc3339('2022-03-15T22:11:15.250+02:00', false), '2022-03-15T22:11:15+02:00')
    assert.equal(goRfc3339('2022-03-15T22:11:15.250+02:00', true), '2022-03-15T22:11:15.25+02:00')
    for (const refused of ['2022-02-30T00:00:00Z', '2022-03-15 22:11:15Z', '2022-03-15T24:00:00Z', '2022-03-15T22:11:15', 'yesterday']) {
      assert.equal(goRfc3339(refused, false), null, refused)
    }
  })
})
