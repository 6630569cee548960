import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {after, afterEach, describe, it} from 'node:test'

import {explainAuthFailure, openGitAccess} from '../../src/adapters/git/git-access.js'
import {tokenUser} from '../../src/usecases/repositories/credentials.js'
import {fingerprintOf, parseKnownHosts, requireKnownHosts} from '../../src/model/repository/ssh-keys.js'
import {isKedgeError} from '../../src/model/errors.js'
import {redact, redactDeep, redactKnown, registerEnvironmentSecrets, registerLocalValue, registerSecret} from '../../src/model/secrets/redaction.js'
import {redactFields} from '../../src/store/redact-fields.js'
import {createLogger} from '../../src/drivers/daemon/logger.js'
import {seal, SECRET_KEY_ENV, secretKeyFile, unseal} from '../../src/adapters/secrets/secret-box.js'
import {environmentWithoutSecrets, registerSecretVariable} from '../../src/model/secrets/secret-environment.js'

const homes: string[] = []
function home(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'kedge-unit-'))
  homes.push(dir)
  return dir
}
after(() => homes.forEach((dir) => rmSync(dir, {recursive: true, force: true})))

function codeOf(action: () => unknown): string {
  try {
    action()
  } catch (error) {
    assert.ok(isKedgeError(error), String(error))
    assert.ok(!error.message.includes('\n'), 'one line')
    return error.code
  }
  assert.fail('expected an error')
}

describe('redaction', () => {
  it('masks every secret kedge was told about, wherever it appears', () => {
    registerSecret('glpat-unit-secret-1')
    assert.equal(redact('fatal: token glpat-unit-secret-1 refused (glpat-unit-secret-1)'), 'fatal: token *** refused (***)')
  })

  it('masks each line of key material, so a partial echo is masked too', () => {
    const key = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\nQyNTUxOQAAACBunitkeymaterialline2xxxxxxx\n-----END OPENSSH PRIVATE KEY-----\n'
    registerSecret(key)
    assert.equal(redact(`bad key: QyNTUxOQAAACBunitkeymaterialline2xxxxxxx`), 'bad key: ***')
    assert.equal(redact(key), '***')
    assert.equal(redact(key.replaceAll('\n', '\r\n')), '-----BEGIN OPENSSH PRIVATE KEY-----\r\n***\r\n***\r\n-----END OPENSSH PRIVATE KEY-----\r\n')
  })

  it('masks credentials in URLs and authorization headers it was not told about', () => {
    assert.equal(
      redact('pull access denied for https://bob:hunter2secret@registry.example/v2/app'),
      'pull access denied for https://***@registry.example/v2/app',
    )
    assert.equal(redact('Authorization: Basic dXNlcjpwYXNz and more'), 'Authorization: Basic *** and more')
    assert.equal(redact('https://github.com/acme/app.git'), 'https://github.com/acme/app.git')
  })

  it('leaves short values alone, so a one-letter secret cannot mask the whole text', () => {
    registerSecret('ab')
    assert.equal(redact('about a tab'), 'about a tab')
  })

  it('never runs across the fields of a JSON text, and leaves a restored snapshot\'s content whole', () => {
    const snapshot = JSON.stringify({services: [{image: 'nginx@sha256:abc', test: ['CMD', 'http://localhost:80']}], kedgeConfig: {mode: 'auto'}})
    assert.deepEqual(JSON.parse(redact(snapshot)), JSON.parse(snapshot))
    const withUrl = JSON.stringify({files: [{content: 'DATABASE_URL: postgres://app:pw@db/app\n'}], services: []})
    const stored = redactFields({snapshot: withUrl, error: 'pull https://bob:pw1234@r.example/x failed'}, {content: ['snapshot'], text: ['error']})
    assert.equal(stored.snapshot, withUrl, 'credentials kedge does not know are left in a snapshot\'s files')
    assert.equal(stored.error, 'pull https://***@r.example/x failed')
    registerSecret('known-snapshot-secret')
    const known = redactFields({snapshot: JSON.stringify({content: 'token: known-snapshot-secret'})}, {content: ['snapshot']})
    assert.deepEqual(JSON.parse(known.snapshot), {content: 'token: ***'})
    assert.equal(redactKnown('https://u:p@h/'), 'https://u:p@h/')
  })

  it('masks each log field on its own', () => {
    registerSecret('log-unit-secret')
    const lines: string[] = []
    const logger = createLogger({level: 'debug', format: 'json', write: (line) => lines.push(line)})
    logger.log('info', 'x', {error: 'proxy http://proxy:3128 refused log-unit-secret', user: 'ops@example.com'})
    assert.deepEqual(JSON.parse(lines[0]!), {...JSON.parse(lines[0]!), error: 'proxy http://proxy:3128 refused ***', user: 'ops@example.com'})
  })

  it('masks inside nested JSON values', () => {
    registerSecret('nested-unit-secret')
    assert.deepEqual(redactDeep({a: ['x nested-unit-secret'], b: {c: 'nested-unit-secret'}, n: 3}), {a: ['x ***'], b: {c: '***'}, n: 3})
  })

  it('knows the values of kedge\'s secret variables from the start', () => {
    registerEnvironmentSecrets({KEDGE_ADMIN_TOKEN: 'admin-unit-token', KEDGE_HOME: '/srv/kedge-home'})
    assert.equal(redact('admin-unit-token at /srv/kedge-home'), '*** at /srv/kedge-home')
  })
})

describe('the secret box', () => {
  afterEach(() => {
    delete process.env[SECRET_KEY_ENV]
  })

  it('seals with a key created 0600 on first use, and opens what it sealed', () => {
    const dir = home()
    const sealed = seal(dir, 'ghp_unit_token_value', 'b')
    assert.equal(statSync(secretKeyFile(dir)).mode & 0o777, 0o600)
    assert.ok(!sealed.includes('ghp_unit_token_value'))
    assert.notEqual(seal(dir, 'ghp_unit_token_value', 'b'), sealed, 'a fresh IV each time')
    assert.equal(unseal(dir, sealed, 'b', 'repository "x"'), 'ghp_unit_token_value')
  })

  it('refuses to open with a missing, a different or a malformed key, and names which', () => {
    const dir = home()
    const sealed = seal(dir, 'ghp_unit_token_value', 'b')
    const key = readFileSync(secretKeyFile(dir), 'utf8')
    rmSync(secretKeyFile(dir))
    assert.equal(codeOf(() => unseal(dir, sealed, 'b', 'repository "x"')), 'secret_key_missing')
    seal(dir, 'other', 'b')
    assert.equal(codeOf(() => unseal(dir, sealed, 'b', 'repository "x"')), 'secret_key_mismatch')
    writeFileSync(secretKeyFile(dir), 'not a key\n')
    assert.equal(codeOf(() => unseal(dir, sealed, 'b', 'repository "x"')), 'invalid_secret_key')
    process.env[SECRET_KEY_ENV] = key.trim()
    assert.equal(unseal(dir, sealed, 'b', 'repository "x"'), 'ghp_unit_token_value', 'the key from the environment wins')
  })

  it('detects a sealed value that was altered', () => {
    const dir = home()
    const sealed = seal(dir, 'ghp_unit_token_value', 'b')
    const parts = sealed.split(':')
    const ciphertext = Buffer.from(parts[4]!, 'base64')
    ciphertext[0] = ciphertext[0]! ^ 1
    parts[4] = ciphertext.toString('base64')
    assert.equal(codeOf(() => unseal(dir, parts.join(':'), 'b', 'repository "x"')), 'secret_unreadable')
    assert.equal(codeOf(() => unseal(dir, 'plain text', 'b', 'repository "x"')), 'secret_unreadable')
    const shortTag = sealed.split(':')
    shortTag[3] = Buffer.from(shortTag[3]!, 'base64').subarray(0, 4).toString('base64')
    assert.equal(codeOf(() => unseal(dir, shortTag.join(':'), 'b', 'repository "x"')), 'secret_unreadable', 'a truncated tag is refused')
  })

  it('opens a value only for what it was sealed for', () => {
    const dir = home()
    const sealed = seal(dir, 'ghp_unit_token_value', 'repository a')
    assert.equal(codeOf(() => unseal(dir, sealed, 'repository b', 'repository "b"')), 'secret_unreadable')
  })

  it('takes a hex key from KEDGE_SECRET_KEY and creates no file', () => {
    const dir = home()
    process.env[SECRET_KEY_ENV] = 'ab'.repeat(32)
    assert.equal(unseal(dir, seal(dir, 'value-1', 'b'), 'b', 'x'), 'value-1')
    assert.throws(() => statSync(secretKeyFile(dir)))
  })
})

describe('SSH keys and host keys', () => {
  it('computes the fingerprint ssh-keygen prints', () => {
    const dir = home()
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'k')])
    const printed = execFileSync('ssh-keygen', ['-lf', path.join(dir, 'k.pub')], {encoding: 'utf8'}).split(' ')[1]
    assert.equal(fingerprintOf(readFileSync(path.join(dir, 'k.pub'), 'utf8')), printed)
  })

  it('reads known_hosts lines and skips comments, markers and junk', () => {
    const text = '# comment\n[127.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n@revoked * ssh-rsa AAAA\njunk\n|1|abc=|def= ecdsa-sha2-nistp256 AAAAE2VjZHNh\n'
    const hosts = parseKnownHosts(text)
    assert.deepEqual(hosts.map((host) => [host.hosts, host.type]), [['[127.0.0.1]:2222', 'ssh-ed25519'], ['(hashed host name)', 'ecdsa-sha2-nistp256']])
    assert.match(hosts[0]!.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/)
    assert.equal(codeOf(() => requireKnownHosts('# nothing here\n', 'kh')), 'invalid_known_hosts')
  })
})

describe('git access', () => {
  it('hands a token to git as a header scoped to the origin, with the host\'s credential helpers off', () => {
    const access = openGitAccess('https://oauth2@git.example:8443/org/app.git', {kind: 'token', token: 'tok-unit-123', username: 'oauth2', source: '$T'})
    assert.equal(access.env.GIT_CONFIG_KEY_0, 'http.https://git.example:8443/.extraHeader')
    assert.equal(access.env.GIT_CONFIG_VALUE_0, `Authorization: Basic ${Buffer.from('oauth2:tok-unit-123').toString('base64')}`)
    assert.equal(access.env.GIT_CONFIG_KEY_1, 'credential.helper')
    assert.equal(access.env.GIT_CONFIG_VALUE_1, '')
    assert.deepEqual([access.env.GIT_CONFIG_KEY_2, access.env.GIT_CONFIG_VALUE_2], ['http.followRedirects', 'false'])
    assert.equal(redact(access.env.GIT_CONFIG_VALUE_0), 'Authorization: Basic ***')
  })

  it('writes the key to a private file for ssh and removes it on close', () => {
    const access = openGitAccess('ssh://git@host/x.git', {kind: 'ssh_key', privateKey: 'KEYDATA-unit\n', keyFingerprint: 'SHA256:x', knownHosts: ''})
    const keyFile = /-i '([^']+)'/.exec(access.env.GIT_SSH_COMMAND!)![1]!
    assert.equal(statSync(keyFile).mode & 0o777, 0o600)
    assert.equal(statSync(path.dirname(keyFile)).mode & 0o777, 0o700)
    assert.match(access.env.GIT_SSH_COMMAND!, /StrictHostKeyChecking=accept-new/)
    assert.match(access.env.GIT_SSH_COMMAND!, /IdentitiesOnly=yes/)
    assert.match(access.env.GIT_SSH_COMMAND!, /^ssh -F \/dev\/null /)
    access.close()
    assert.throws(() => statSync(path.dirname(keyFile)))
    const strict = openGitAccess('ssh://git@host/x.git', {kind: 'ssh_key', privateKey: 'k', keyFingerprint: 'SHA256:x', knownHosts: 'host ssh-ed25519 AAAA\n'})
    assert.match(strict.env.GIT_SSH_COMMAND!, /StrictHostKeyChecking=yes/)
    strict.close()
  })

  it('tells a refused key, an unknown or changed host key and a refused token apart', () => {
    const ssh = openGitAccess('ssh://git@host/x.git', null)
    const explain = (output: string, url = 'ssh://git@git.example:2222/x.git') => explainAuthFailure(output, url, ssh)?.code ?? null
    assert.equal(explain('git@git.example: Permission denied (publickey).\nfatal: Could not read from remote repository.'), 'auth_failed')
    assert.equal(explain('No ED25519 host key is known for [git.example]:2222 and you have requested strict checking.\nHost key verification failed.'), 'host_key_unknown')
    assert.equal(explain('@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @\nThe fingerprint for the ED25519 key sent by the remote host is\nSHA256:abc.\nHost key verification failed.'), 'host_key_changed')
    assert.equal(explain("fatal: could not read Username for 'https://git.example': terminal prompts disabled", 'https://git.example/x.git'), 'auth_required')
    assert.equal(explain('root@git.example: Permission denied (password,publickey).'), 'auth_failed')
    assert.equal(explain('fatal: unable to access: Could not resolve host: git.example'), null)
    assert.equal(explain('remote: Host key verification failed\nfatal: the remote end hung up unexpectedly'), null, 'what the server says is not read')
    const token = openGitAccess('https://git.example/x.git', {kind: 'token', token: 'tok-unit-456', username: 'u', source: '$GIT_TOKEN'})
    const refused = explainAuthFailure("remote: invalid credentials\nfatal: Authentication failed for 'https://git.example/x.git/'", 'https://git.example/x.git', token)
    assert.equal(refused?.code, 'auth_failed')
    assert.match(refused!.message, /\$GIT_TOKEN/)
    const redirected = explainAuthFailure("fatal: unable to access 'https://git.example/x.git/': The requested URL returned error: 301", 'https://git.example/x.git', token)
    assert.equal(redirected?.code, 'remote_redirected')
  })

  it('sends a token with the URL\'s user name, else one every forge accepts', () => {
    assert.equal(tokenUser('https://oauth2@gitlab.example/a.git'), 'oauth2')
    assert.equal(tokenUser('https://github.com/a/b.git'), 'x-access-token')
  })

  it('keeps token variables and kedge\'s own variables from the tools it runs for stacks', () => {
    registerSecretVariable('UNIT_GIT_TOKEN')
    const env = environmentWithoutSecrets({PATH: '/bin', UNIT_GIT_TOKEN: 't', KEDGE_SECRET_KEY: 'k', DOCKER_CONFIG: '/d', HOME: '/root'})
    assert.deepEqual(env, {PATH: '/bin', DOCKER_CONFIG: '/d', HOME: '/root'})
  })
})

describe('local env values', () => {
  it('are masked in messages but not in content kedge restores, where they may be ordinary names', () => {
    registerLocalValue('postgres-local')
    assert.equal(redact('service postgres-local exited'), 'service *** exited')
    const snapshot = JSON.stringify({services: [{name: 'postgres-local', image: 'postgres:16'}]})
    assert.equal(redactKnown(snapshot), snapshot)
    registerLocalValue('short')
    assert.equal(redact('short'), 'short', 'shorter than 6 characters: an ordinary word')
  })
})
