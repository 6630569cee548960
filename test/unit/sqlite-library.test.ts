import assert from 'node:assert/strict'
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'

import {loadFailure, sqliteUnavailable} from '../../src/store/sqlite-library.js'
import {tempDir} from '../helpers/temp.js'

const PACKAGE = '/usr/local/lib/node_modules/kedge/node_modules/better-sqlite3'
const LIBRARY = `${PACKAGE}/build/Release/better_sqlite3.node`

/** An error as Node's loader throws it. */
function dlopenError(message: string): Error {
  return Object.assign(new Error(message), {code: 'ERR_DLOPEN_FAILED'})
}

/** Node's own words for a library built for another Node.js (node_binding.cc), with this file. */
const OTHER_NODE = `The module '${LIBRARY}'
was compiled against a different Node.js version using
NODE_MODULE_VERSION 108. This version of Node.js requires
NODE_MODULE_VERSION 115. Please try re-compiling or re-installing
the module (for instance, using \`npm rebuild\` or \`npm install\`).`

/** What \`bindings\` says when it finds the library nowhere (one line per place it looked). */
const NOT_FOUND = `Could not locate the bindings file. Tried:
 → ${PACKAGE}/build/better_sqlite3.node
 → ${PACKAGE}/build/Debug/better_sqlite3.node
 → ${PACKAGE}/lib/binding/node-v115-linux-x64/better_sqlite3.node`

describe("better-sqlite3's native library failing to load", () => {
  it('names the cause in one line', () => {
    const cases: Array<[Error, RegExp]> = [
      [new Error(NOT_FOUND), /^\S+better_sqlite3\.node is missing$/],
      [Object.assign(new Error(`Cannot find module '${LIBRARY}'`), {code: 'MODULE_NOT_FOUND'}), /is missing$/],
      [dlopenError(OTHER_NODE), new RegExp(`was built for another Node\\.js \\(NODE_MODULE_VERSION 108, not 115 as Node\\.js ${process.version.replaceAll('.', '\\.')}\\)$`)],
      [dlopenError(`Module did not self-register: '${LIBRARY}'.`), /was not built for this Node\.js/],
      [dlopenError(`${LIBRARY}: invalid ELF header`), /\.node cannot be loaded: invalid ELF header$/],
      [dlopenError(`${LIBRARY}: file too short`), /\.node cannot be loaded: file too short$/],
      [dlopenError(`${LIBRARY}: wrong ELF class: ELFCLASS32`), /cannot be loaded: wrong ELF class: ELFCLASS32$/],
      [dlopenError('libstdc++.so.6: cannot open shared object file: No such file or directory'), /cannot be loaded: libstdc\+\+\.so\.6: cannot open shared object file/],
    ]
    for (const [error, expected] of cases) {
      const cause = loadFailure(error, LIBRARY)
      assert.ok(cause, error.message)
      assert.match(cause, expected)
      assert.ok(cause.startsWith(LIBRARY), cause)
      assert.doesNotMatch(cause, /\n/)
    }
  })

  it('leaves every other error alone: those of SQLite, of the disk and of kedge', () => {
    const others = [
      Object.assign(new Error('unable to open database file'), {code: 'SQLITE_CANTOPEN'}),
      Object.assign(new Error('database or disk is full'), {code: 'SQLITE_FULL'}),
      Object.assign(new Error('ENOSPC: no space left on device, write'), {code: 'ENOSPC'}),
      Object.assign(new Error(`Cannot find module 'drizzle-orm/migrator'`), {code: 'MODULE_NOT_FOUND'}),
      new Error('invalid ELF header'),
      'not an error',
    ]
    for (const error of others) assert.equal(loadFailure(error, LIBRARY), null, String(error))
    assert.equal(sqliteUnavailable(others[0], PACKAGE), null)
  })

  it("is sqlite_unavailable, exit 1, with the rebuild to run in kedge's install directory", () => {
    const error = sqliteUnavailable(dlopenError(OTHER_NODE), PACKAGE)
    assert.ok(error)
    assert.equal(error.code, 'sqlite_unavailable')
    assert.equal(error.exitCode, 1)
    assert.match(error.message, /^kedge cannot load SQLite: better-sqlite3's native library \S+ was built for another Node\.js/)
    assert.equal(error.hint, 'rebuild it for this Node.js: cd /usr/local/lib/node_modules/kedge && npm rebuild better-sqlite3')
    const spaced = sqliteUnavailable(new Error(NOT_FOUND), "/opt/kedge's tools/node_modules/better-sqlite3")
    assert.equal(spaced?.hint, `rebuild it for this Node.js: cd '/opt/kedge'\\''s tools' && npm rebuild better-sqlite3`)
  })

  it("classifies what Node's loader really throws for a file that is no library", () => {
    const build = path.join(tempDir(), 'node_modules/better-sqlite3/build/Release')
    mkdirSync(build, {recursive: true})
    const library = path.join(build, 'better_sqlite3.node')
    for (const [content, reason] of [[Buffer.alloc(4096, 0x41), 'invalid ELF header'], [Buffer.alloc(0), 'file too short']] as const) {
      writeFileSync(library, content)
      const thrown = captured(() => process.dlopen({exports: {}}, library))
      assert.equal(loadFailure(thrown, library), `${library} cannot be loaded: ${reason}`)
    }
  })
})

function captured(action: () => void): unknown {
  try {
    action()
  } catch (error) {
    return error
  }
  assert.fail('expected an error')
}
