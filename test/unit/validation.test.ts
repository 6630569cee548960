import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {formatDuration, parseDuration} from '../../src/model/config/duration.js'
import {validateBranchName} from '../../src/model/repository/branch-name.js'
import {normalizeStackPath} from '../../src/model/stack/stack-path.js'
import {InvalidInputError} from '../../src/model/errors.js'

describe('parseDuration', () => {
  const cases: Array<[string | number, number | null]> = [
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['250ms', 250],
    ['90', 90_000],
    [45, 45_000],
    [' 2M ', 120_000],
    ['0s', null],
    [0, null],
    [-5, null],
    ['5 minutes', null],
    ['s', null],
    ['1d', null],
    ['', null],
    [Number.NaN, null],
    ['8760h', 31_536_000_000],
    ['8760h1s', null],
    ['720h', 2_592_000_000],
    ['999999h', null],
    ['9'.repeat(400), null],
    [0.0001, null],
  ]
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} → ${expected}`, () => assert.equal(parseDuration(input), expected))
  }

  it('formats back to the short form', () => {
    assert.equal(formatDuration(5_400_000), '1h30m')
    assert.equal(formatDuration(60_000), '1m')
    assert.equal(formatDuration(1_500), '1s500ms')
    assert.equal(formatDuration(250), '250ms')
  })
})

describe('validateBranchName', () => {
  for (const good of ['main', 'release/1.x', 'feature_x-y', 'v1.2.3']) {
    it(`accepts ${good}`, () => assert.equal(validateBranchName(good), good))
  }
  for (const bad of ['', '-x', 'a..b', 'a b', 'x.lock', 'a:b', 'a~1', 'refs^', 'with*star', 'end/', '/start', '@', 'a@{1}', '.hidden']) {
    it(`refuses ${JSON.stringify(bad)}`, () => {
      assert.throws(() => validateBranchName(bad), (error: unknown) => error instanceof InvalidInputError && error.code === 'invalid_branch')
    })
  }
})

describe('normalizeStackPath', () => {
  it('keeps sub-directories relative and POSIX', () => {
    assert.equal(normalizeStackPath(undefined), '.')
    assert.equal(normalizeStackPath(''), '.')
    assert.equal(normalizeStackPath('./'), '.')
    assert.equal(normalizeStackPath('stacks/web/'), 'stacks/web')
    assert.equal(normalizeStackPath('stacks\\web'), 'stacks/web')
    assert.equal(normalizeStackPath('a/../b'), 'b')
  })
  for (const bad of ['..', '../other', '/etc', 'a/../../b']) {
    it(`refuses ${bad}`, () => {
      assert.throws(() => normalizeStackPath(bad), (error: unknown) => error instanceof InvalidInputError && error.code === 'invalid_path')
    })
  }
})
