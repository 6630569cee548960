import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {parseEnvFile} from '../../src/usecases/repositories/local-env.js'
import {InvalidInputError} from '../../src/model/errors.js'

describe('parseEnvFile', () => {
  it('reads NAME=value lines, export, comments, quotes and escapes', () => {
    const text = [
      '\uFEFF# a comment',
      '',
      'PLAIN=hello world  # trailing comment',
      'export EXPORTED=1',
      '  SPACED = around  ',
      "SINGLE='literal \\n $HOME # kept'",
      'DOUBLE="line\\none \\"quoted\\" # kept" # dropped',
      'EMPTY=',
      'HASH=a#b',
      'URL=postgres://u:p@db:5432/app?x=1',
      'PLAIN=again\r',
    ].join('\n')
    assert.deepEqual(parseEnvFile(text, 'app.env'), {
      PLAIN: 'again',
      EXPORTED: '1',
      SPACED: 'around',
      SINGLE: 'literal \\n $HOME # kept',
      DOUBLE: 'line\none "quoted" # kept',
      EMPTY: '',
      HASH: 'a#b',
      URL: 'postgres://u:p@db:5432/app?x=1',
    })
    assert.deepEqual(parseEnvFile('', 'empty.env'), {})
  })

  const invalid: Array<[string, string, RegExp]> = [
    ['a line without "="', 'A=1\njust-a-secret-word\n', /^app\.env: line 2: expected NAME=value$/],
    ['a name starting with a digit', '1A=x\n', /^app\.env: line 1: expected a variable name/],
    ['a name with a dash', 'MY-VAR=x\n', /^app\.env: line 1: expected a variable name/],
    ['an unclosed quote', 'A="open secret\n', /^app\.env: line 1: the " that opens the value is not closed on its line$/],
    ['text after a closing quote', "A='x' y\n", /^app\.env: line 1: unexpected text after the closing '$/],
    ['a variable of Docker', 'DOCKER_HOST=tcp://elsewhere:2375\n', /^app\.env: line 1: DOCKER_HOST configures Docker, Compose or kedge, not the stack$/],
    ['a variable of Compose', 'A=1\nCOMPOSE_PROFILES=debug\n', /^app\.env: line 2: COMPOSE_PROFILES configures Docker, Compose or kedge, not the stack$/],
    ['PATH', 'export PATH=/tmp\n', /^app\.env: line 1: PATH configures/],
    ['a NUL character', 'A=x\0y\n', /^app\.env: line 1: the value holds a NUL character$/],
  ]
  for (const [what, text, message] of invalid) {
    it(`refuses ${what} by its line number, without quoting the line`, () => {
      assert.throws(
        () => parseEnvFile(text, 'app.env'),
        (error: unknown) =>
          error instanceof InvalidInputError && error.code === 'invalid_env_file' && message.test(error.message) && !/secret/.test(error.message),
      )
    })
  }
})
