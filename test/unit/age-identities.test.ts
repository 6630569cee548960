import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {describe, it} from 'node:test'

import {generateHybridIdentity, generateIdentity, identityToRecipient} from 'age-encryption'

import {isKedgeError} from '../../src/model/errors.js'
import {MAX_AGE_IDENTITIES, parseAgeIdentities} from '../../src/model/secrets/age-identities.js'
import {redact} from '../../src/model/secrets/redaction.js'

const fixture = (name: string) => readFileSync(new URL(`../fixtures/sops/${name}`, import.meta.url), 'utf8')

/** SOPS's published test key file, as age-keygen wrote it (two keys, comments, no final newline). */
const TEST_KEYS = fixture('keys.txt')
const FIRST = 'AGE-SECRET-KEY-1NJT5YCS2LWU4V4QAJQ6R4JNU7LXPDX602DZ9NUFANVU5GDTGUWCQ5T59M6'
const SECOND = 'AGE-SECRET-KEY-1T0Z66WSXS6RMNCPSL7P2E8N4Q7SUD8VMG9ND27S08JL7Y2XAU9EQECHDS7'

function refusal(text: string, source = 'keys.txt'): {message: string; hint: string} {
  try {
    parseAgeIdentities(text, source)
  } catch (error) {
    assert.ok(isKedgeError(error), String(error))
    assert.equal(error.code, 'invalid_age_key')
    assert.equal(error.exitCode, 2)
    assert.ok(!error.message.includes('\n'), 'one line')
    assert.ok(error.message.startsWith(`${source}: `), error.message)
    assert.equal(error.cause, undefined)
    return {message: error.message, hint: error.hint ?? ''}
  }
  assert.fail('expected invalid_age_key')
}

describe('parseAgeIdentities', () => {
  it('reads the identities of a key file as age-keygen writes it, in order, without its comments', () => {
    assert.deepEqual(parseAgeIdentities(TEST_KEYS, 'keys.txt'), [FIRST, SECOND])
  })

  it('takes blank lines, CRLF line ends, a byte order mark and repeated keys', () => {
    const text = `\uFEFF# created: 2020-07-18T03:16:47-07:00\r\n\r\n  ${FIRST}  \r\n# public key: age1…\r\n${FIRST}\r\n`
    assert.deepEqual(parseAgeIdentities(text, 'keys.txt'), [FIRST])
  })

  it('reads what age-keygen makes today, post-quantum identities too', async () => {
    const classic = await generateIdentity()
    const hybrid = await generateHybridIdentity()
    const text = `# public key: ${await identityToRecipient(classic)}\n${classic}\n${hybrid}\n`
    assert.deepEqual(parseAgeIdentities(text, 'keys.txt'), [classic, hybrid])
  })

  it('registers each identity with redaction, so no output can show it', () => {
    parseAgeIdentities(TEST_KEYS, 'keys.txt')
    assert.equal(redact(`key: ${FIRST} and ${SECOND}`), 'key: *** and ***')
  })

  it('refuses text with no identity, naming where it came from', () => {
    assert.match(refusal('', 'the age key of repository "app"').message, /holds no age identity/)
    assert.match(refusal('# created: 2020-07-18\n# public key: age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw\n\n').message, /holds no age identity/)
  })

  it('refuses a line that is not an identity, without repeating any of it', () => {
    const recipient = 'age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw'
    const cases: Array<[string, RegExp]> = [
      [recipient, /recipient \(a public key\)/],
      ['-----BEGIN OPENSSH PRIVATE KEY-----', /SSH keys are not supported/],
      ['AGE-PLUGIN-YUBIKEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQ', /plugins are not supported/],
      ['not-a-key-but-a-secret-password', /does not start with AGE-SECRET-KEY-1/],
      [FIRST.slice(0, -3), /not as long as one/],
      [`${FIRST.slice(0, 20)}${FIRST[20] === 'Q' ? 'P' : 'Q'}${FIRST.slice(21)}`, /checksum does not match/],
      [FIRST.toLowerCase(), /does not start with AGE-SECRET-KEY-1/],
    ]
    for (const [line, expected] of cases) {
      const {message, hint} = refusal(`# a key file\n${FIRST}\n${line}\n`)
      assert.match(message, expected)
      assert.match(message, /line 3/)
      assert.match(hint, /age-keygen/)
      for (const part of [line, line.slice(5, 25), FIRST.slice(16, 40)]) assert.ok(!message.includes(part) && !hint.includes(part), `${message} repeats ${part}`)
    }
  })

  it('registers a line it refuses too: a mistyped key is still a key', () => {
    const mistyped = `${FIRST.slice(0, 30)}${FIRST[30] === 'Q' ? 'P' : 'Q'}${FIRST.slice(31)}`
    refusal(mistyped)
    assert.equal(redact(`echo ${mistyped}`), 'echo ***')
  })

  it('refuses more identities than a key file holds', async () => {
    const many = await Promise.all(Array.from({length: MAX_AGE_IDENTITIES + 1}, () => generateIdentity()))
    assert.match(refusal(many.join('\n')).message, new RegExp(`more than ${MAX_AGE_IDENTITIES}`))
  })
})
