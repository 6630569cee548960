import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {describe, it} from 'node:test'

import {ERROR_CODES} from '../../src/model/errors.js'

const README = new URL('../../docs/README.md', import.meta.url)
const HTTP_DOC = new URL('../../docs/http.md', import.meta.url)

/** The codes in backquotes in the last column of the Markdown table whose header row is `header`. */
function codesInTable(file: URL, header: string): string[] {
  const lines = readFileSync(file, 'utf8').split('\n')
  const start = lines.indexOf(header)
  assert.notEqual(start, -1, `${file.pathname} has no table headed ${header}`)
  const rows = []
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break
    rows.push(line)
  }
  assert.ok(rows.length > 0, `the table headed ${header} has no rows`)
  return rows.flatMap((row) => {
    const cells = row.split('|').slice(1, -1)
    const last = cells.at(-1) ?? ''
    return [...last.matchAll(/`([a-z]+(?:_[a-z]+)*)`/g)].map((match) => match[1] as string)
  })
}

function missingFrom(wanted: Iterable<string>, present: Iterable<string>): string[] {
  const have = new Set(present)
  return [...new Set(wanted)].filter((code) => !have.has(code)).sort()
}

describe('error codes', () => {
  it('are each listed once in ERROR_CODES', () => {
    const twice = ERROR_CODES.filter((code, index) => ERROR_CODES.indexOf(code) !== index)
    assert.deepEqual(twice, [])
  })

  it('are each in docs/README.md\'s table of error codes', () => {
    const documented = codesInTable(README, '| exit code | meaning | error codes |')
    assert.deepEqual(missingFrom(ERROR_CODES, documented), [], 'codes kedge answers with that docs/README.md does not list')
  })

  it('are the only codes docs/README.md\'s table names', () => {
    const documented = codesInTable(README, '| exit code | meaning | error codes |')
    assert.deepEqual(missingFrom(documented, ERROR_CODES), [], 'codes docs/README.md lists that kedge never answers with')
  })

  it('are the only codes docs/http.md\'s table of errors names', () => {
    const documented = codesInTable(HTTP_DOC, '| status | when | codes |')
    assert.deepEqual(missingFrom(documented, ERROR_CODES), [], 'codes docs/http.md lists that kedge never answers with')
  })
})
