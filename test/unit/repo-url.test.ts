import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {normalizeRepoName, parseRemoteUrl} from '../../src/model/repository/repo-url.js'
import {InvalidInputError} from '../../src/model/errors.js'

describe('parseRemoteUrl', () => {
  const accepted: Array<[string, string, string]> = [
    ['https://host/acme/webapp.git', 'https', 'webapp'],
    ['https://github.com/acme/WebApp', 'https', 'webapp'],
    ['http://127.0.0.1:3000/acme/app.git/', 'http', 'app'],
    ['ssh://git@host:2222/org/infra.git', 'ssh', 'infra'],
    ['git@github.com:org/repo.git', 'scp', 'repo'],
    ['gitea.local:team/stacks', 'scp', 'stacks'],
    ['git://host/project.git', 'git', 'project'],
    ['file:///srv/git/homelab.git', 'file', 'homelab'],
    ['/srv/git/homelab.git', 'path', 'homelab'],
    ['  https://host/acme/trimmed.git  ', 'https', 'trimmed'],
  ]
  for (const [input, kind, name] of accepted) {
    it(`accepts ${input.trim()} as ${kind}, named ${name}`, () => {
      const remote = parseRemoteUrl(input)
      assert.equal(remote.kind, kind)
      assert.equal(remote.derivedName, name)
      assert.equal(remote.url, input.trim())
    })
  }

  const refused: Array<[string, RegExp]> = [
    ['', /empty/],
    ['not a url', /white space/],
    ['relative/path.git', /neither a URL nor an absolute path/],
    ['./repo', /neither a URL nor an absolute path/],
    ['ftp://host/repo.git', /scheme "ftp" is not supported/],
    ['ssh:///srv/repo.git', /no host/],
    ['https://user:s3cret@host/repo.git', /contains a password/],
    ['--upload-pack=touch /tmp/x', /starts with "-"/],
    ['ssh://-oProxyCommand=touch%20x/org/repo.git', /host or user name starts with "-"/],
    ['ssh://-oProxyCommand=x@host/org/repo.git', /host or user name starts with "-"/],
    ['git://-x/org/repo.git', /host or user name starts with "-"/],
    ['ssh://%2DoProxyCommand=x/org/repo.git', /host or user name starts with "-"/],
    ['ssh://git@%2dhost/org/repo.git', /host or user name starts with "-"/],
    ['ssh://%ff@host/org/repo.git', /not a valid URL/],
    ['https://host/org/%e0%a4%a.git', /not a valid URL/],
    ['git@-oProxyCommand:org/repo.git', /host or user name starts with "-"/],
    ['ext::sh -c touch% /tmp/pwned', /white space|remote helpers/],
    ['fd::17', /remote helpers/],
    ['file://somehost/srv/repo.git', /cannot name a host/],
    ['https://host/a\u0000b', /control characters/],
  ]
  for (const [input, reason] of refused) {
    it(`refuses ${JSON.stringify(input)}`, () => {
      assert.throws(
        () => parseRemoteUrl(input),
        (error: unknown) => error instanceof InvalidInputError && error.code === 'invalid_url' && reason.test(error.message),
      )
    })
  }

  it('never repeats a password in its error', () => {
    assert.throws(() => parseRemoteUrl('https://user:s3cret@host/repo.git'), (error: Error) => !error.message.includes('s3cret'))
  })
})

describe('normalizeRepoName', () => {
  it('lower-cases names, as Compose project names must be', () => {
    assert.equal(normalizeRepoName('WebApp'), 'webapp')
    assert.equal(normalizeRepoName('my_app.v2-x'), 'my_app.v2-x')
  })

  for (const bad of ['', '-app', '.hidden', 'has space', 'slash/name', 'ünïcode', 'a'.repeat(64), 'semi;colon']) {
    it(`refuses ${JSON.stringify(bad)}`, () => {
      assert.throws(() => normalizeRepoName(bad), (error: unknown) => error instanceof InvalidInputError && error.code === 'invalid_name')
    })
  }

  it('accepts 63 characters', () => {
    assert.equal(normalizeRepoName('a'.repeat(63)), 'a'.repeat(63))
  })
})
