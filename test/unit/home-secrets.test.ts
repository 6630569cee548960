import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'

import {registerHomeSecrets} from '../../src/adapters/secrets/home-secrets.js'
import {redact} from '../../src/model/secrets/redaction.js'
import {tempDir} from '../helpers/temp.js'

describe("the home's own secrets", () => {
  it('secret.key and admin.token are masked once the home is opened, a key without its base64 padding too', () => {
    const home = tempDir()
    const key = randomBytes(32).toString('base64')
    assert.match(key, /=$/)
    const adminToken = randomBytes(32).toString('base64url')
    writeFileSync(path.join(home, 'secret.key'), `${key}\n`)
    writeFileSync(path.join(home, 'admin.token'), `${adminToken}\n`)
    const text = `variable name "${key}" / ${key.replace(/=+$/, '')}: '' / token ${adminToken}`
    assert.equal(redact(text), text, 'nothing known before')
    registerHomeSecrets(home)
    assert.equal(redact(text), 'variable name "***" / ***: \'\' / token ***')
  })

  it('a home without them: nothing to register, no error, no text masked', () => {
    const text = 'an ordinary line of Compose output: service "web" is not running'
    registerHomeSecrets(tempDir())
    assert.equal(redact(text), text)
  })
})
