import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {createLogger, moreVerbose} from '../../src/drivers/daemon/logger.js'

describe('the serve logger', () => {
  it('writes one text line per event, quoting values that need it', () => {
    const lines: string[] = []
    createLogger({level: 'info', format: 'text', write: (line) => lines.push(line)}).log('info', 'deploy.failed', {repo: 'web', error: 'no such image\nsecond line', took: undefined})
    assert.equal(lines.length, 1)
    assert.match(lines[0]!, /^\d{4}-\d\d-\d\dT[\d:.]+Z INFO {2}deploy\.failed repo=web error="no such image\\nsecond line"$/)
  })

  it('writes JSON, filters by level, and derives loggers that keep unset settings', () => {
    const lines: string[] = []
    const logger = createLogger({level: 'info', format: 'json', write: (line) => lines.push(line)})
    logger.log('debug', 'hidden')
    logger.with({level: 'debug', format: undefined}).log('debug', 'shown', {repo: 'a', n: 1})
    logger.with({level: undefined}).log('warn', 'still json')
    assert.equal(lines.length, 2)
    assert.deepEqual({...JSON.parse(lines[0]!), time: 'x'}, {time: 'x', level: 'debug', event: 'shown', repo: 'a', n: 1})
    assert.equal(JSON.parse(lines[1]!).event, 'still json')
  })

  it('takes the more detailed of two levels, so a repository can ask for more detail but never hide its lines', () => {
    assert.equal(moreVerbose('error', 'info'), 'info')
    assert.equal(moreVerbose('debug', 'info'), 'debug')
    assert.equal(createLogger({level: 'warn', format: 'text', write: () => undefined}).with({level: 'debug'}).level, 'debug')
  })
})
