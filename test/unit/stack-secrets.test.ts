import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {checkoutFiles} from '../../src/adapters/files/checkout-files.js'
import {isKedgeError} from '../../src/model/errors.js'
import {envFileText, openStackSecrets, secretDigests, type OpenedSecret} from '../../src/usecases/deploying/stack-secrets.js'
import {fakeSecrets, fakeSops} from '../helpers/fake-ports.js'

const root = mkdtempSync(path.join(tmpdir(), 'kedge-secrets-'))
after(() => rmSync(root, {recursive: true, force: true}))
mkdirSync(path.join(root, 'secrets'))
/** SOPS's published test identity (test/fixtures/sops/keys.txt). */
const IDENTITY = 'AGE-SECRET-KEY-1NJT5YCS2LWU4V4QAJQ6R4JNU7LXPDX602DZ9NUFANVU5GDTGUWCQ5T59M6'
writeFileSync(path.join(root, 'secrets/web.env'), `fake-sops:${IDENTITY}\nAPI_KEY=first-value\n`)

const context = {secrets: {...fakeSecrets, ageKeyFile: () => ({text: `# test key\n${IDENTITY}\n`, source: 'KEDGE_AGE_KEY_FILE (test)'})}, sops: fakeSops, files: checkoutFiles}
const repository = {name: 'app', ageKey: null}
const opened = (text: string, services?: string[]): OpenedSecret => ({
  declared: {file: 'secrets/web.env', format: 'dotenv', ...(services ? {services} : {})},
  secret: {text, entries: text.split('\n').filter(Boolean).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const)},
})

describe('the secrets of a stack', () => {
  it('are opened from the files kedge.yaml declares, with the identities of KEDGE_AGE_KEY_FILE', async () => {
    const [secret] = await openStackSecrets(context, repository, root, [{file: 'secrets/web.env', format: 'dotenv'}])
    assert.equal(secret?.secret.text, 'API_KEY=first-value\n')
  })

  it('need an identity, and a file the commit has', async () => {
    const none = {...context, secrets: {...fakeSecrets, ageKeyFile: () => null}}
    await assert.rejects(openStackSecrets(none, repository, root, [{file: 'secrets/web.env', format: 'dotenv'}]), (error) => isKedgeError(error) && error.code === 'age_key_missing')
    await assert.rejects(openStackSecrets(context, repository, root, [{file: 'secrets/absent.env', format: 'dotenv'}]), (error) => isKedgeError(error) && error.code === 'invalid_secret_file')
  })

  it('give a digest only to the services that use them, which changes with the plaintext and never shows it', () => {
    const first = secretDigests(context, [opened('API_KEY=first-value\n', ['web'])], ['web', 'worker'])
    const second = secretDigests(context, [opened('API_KEY=second-value\n', ['web'])], ['web', 'worker'])
    assert.deepEqual([...first.keys()], ['web'])
    assert.notEqual(first.get('web'), second.get('web'))
    assert.ok(!first.get('web')!.includes('first-value'))
    assert.deepEqual([...secretDigests(context, [opened('A=1\n')], ['web', 'worker']).keys()], ['web', 'worker'], 'every service when it names none')
  })

  it('are, for a binary file, the data SOPS wrapped it in', async () => {
    writeFileSync(path.join(root, 'secrets/tls.key.enc'), `fake-sops:${IDENTITY}\ndata=-----BEGIN KEY-----`)
    const [secret] = await openStackSecrets(context, repository, root, [{file: 'secrets/tls.key.enc', format: 'binary', target: '/run/tls.key', mode: 0o400}])
    assert.equal(secret?.secret.text, '-----BEGIN KEY-----')
    writeFileSync(path.join(root, 'secrets/empty.enc'), `fake-sops:${IDENTITY}\nother=1`)
    await assert.rejects(openStackSecrets(context, repository, root, [{file: 'secrets/empty.enc', format: 'binary', target: '/run/x', mode: 0o400}]), (error) => isKedgeError(error) && error.code === 'invalid_secret_file')
  })

  it('are env files that hold each value literally', () => {
    const yaml: OpenedSecret = {declared: {file: 's.yaml', format: 'yaml'}, secret: {text: '', entries: [['PLAIN', 'a-b.c'], ['SPACED', 'two words $HOME'], ['QUOTE', "it's\nhere"]]}}
    assert.equal(envFileText(yaml), "PLAIN=a-b.c\nSPACED='two words $HOME'\nQUOTE=\"it's\\nhere\"\n")
    assert.throws(() => envFileText({declared: {file: 's.yaml', format: 'yaml'}, secret: {text: 'a:\n  b: 1\n', entries: null}}), (error) => isKedgeError(error) && error.code === 'invalid_secret_file')
  })
})
