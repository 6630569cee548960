import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {gitConfigKeys} from '../../src/adapters/git/git-config-keys.js'

const names = (text: string) => gitConfigKeys(text)?.map((key) => key.name) ?? null

describe('the names a git config file sets', () => {
  it('reads sections, subsections and keys as git spells them', () => {
    const text = [
      '# a comment',
      '; another',
      '[user]',
      '\tname = Someone',
      '\tEmail = someone@example.invalid',
      '[url "https://mirror.example/Org/"]',
      '    insteadOf = https://github.com/Org/',
      '[HTTP]',
      '\tsslVerify',
      '[http "https://git.example"] proxy = http://proxy:3128',
      '[Core.Legacy]',
      '\tkey=value',
    ].join('\n')
    assert.deepEqual(gitConfigKeys(text), [
      {section: 'user', name: 'user.name'},
      {section: 'user', name: 'user.email'},
      {section: 'url', name: 'url.https://mirror.example/Org/.insteadof'},
      {section: 'http', name: 'http.sslverify'},
      {section: 'http', name: 'http.https://git.example.proxy'},
      {section: 'core', name: 'core.legacy.key'},
    ])
  })

  it('never takes a value for a name: continuation lines, quotes and comments are followed', () => {
    const text = [
      '[alias]',
      '\tlong = "!f() { \\',
      '[http] this is still the value \\',
      '\t}; f"',
      '\tquoted = "a # not a comment \\',
      '[url] still; the value # in quotes \\',
      '[http] the value ends here"',
      '\tcommented = value # a comment \\',
      '[http]',
      '\tproxy = x',
      '\tescaped = a\\\\',
      '[url "y"]',
      '\tinsteadOf = z',
    ].join('\n')
    assert.deepEqual(names(text), ['alias.long', 'alias.quoted', 'alias.commented', 'http.proxy', 'http.escaped', 'url.y.insteadof'])
  })

  it('reads CRLF files and an empty file', () => {
    assert.deepEqual(names('[http]\r\n\tproxy = x\r\n'), ['http.proxy'])
    assert.deepEqual(names(''), [])
  })

  for (const [what, text] of [
    ['a key before any section', 'proxy = x\n[http]\n'],
    ['a broken section header', '[http\n\tproxy = x\n'],
    ['a header with a bad character', '[ht!tp]\n'],
    ['a line that is not a key', '[http]\n\t= x\n'],
  ]) {
    it(`refuses ${what}`, () => {
      assert.equal(gitConfigKeys(text!), null)
    })
  }
})
