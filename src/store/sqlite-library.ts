import {existsSync} from 'node:fs'
import {createRequire} from 'node:module'
import path from 'node:path'

import {ExternalError} from '../model/errors.js'

const LIBRARY_FILE = 'better_sqlite3.node'

/** better-sqlite3's package directory (in kedge's node_modules, wherever kedge is installed). */
export function sqlitePackageDirectory(): string {
  return path.dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json'))
}

/**
 * better-sqlite3's native library, named by its path: left to find it, better-sqlite3 loads `bindings`,
 * which looks in a dozen places and costs more than loading the library. Its install puts the library
 * in build/Release (a prebuilt one, or node-gyp's release build), or build/Debug for a debug build.
 * One found nowhere is left to `bindings`, which finds it only where better-sqlite3 is not bundled: it
 * searches from its caller's package. (The fast path bundles better-sqlite3's JavaScript, which is why
 * package.json pins its exact version: the bundle must match the native library installed with it.)
 */
export function nativeLibrary(packageDirectory = sqlitePackageDirectory()): string | undefined {
  return ['Release', 'Debug'].map((build) => libraryIn(packageDirectory, build)).find((library) => existsSync(library))
}

/**
 * The native library failing to load, as one line naming the cause, and the command that fixes every
 * such cause (rebuilding it for this Node.js) with the directory to run it in; null for any other error.
 * Without this, Node's loader and `bindings` print many lines (every path tried), and opening the
 * database would be blamed on the home.
 */
export function sqliteUnavailable(error: unknown, packageDirectory: string): ExternalError | null {
  const library = nativeLibrary(packageDirectory) ?? libraryIn(packageDirectory, 'Release')
  const cause = loadFailure(error, library)
  if (!cause) return null
  return new ExternalError(`kedge cannot load SQLite: better-sqlite3's native library ${cause}`, {
    code: 'sqlite_unavailable',
    hint: `rebuild it for this Node.js: cd ${shellWord(installDirectory(packageDirectory))} && npm rebuild better-sqlite3`,
    cause: error,
  })
}

/**
 * What went wrong loading `library`, from the error Node's loader or `bindings` threw; null when the
 * error is not theirs. The phrase follows "better-sqlite3's native library".
 */
export function loadFailure(error: unknown, library: string): string | null {
  if (!(error instanceof Error)) return null
  const {code} = error as NodeJS.ErrnoException
  const message = error.message
  // bindings, after looking everywhere; require() of a path that is not there.
  if (message.startsWith('Could not locate the bindings file') || (code === 'MODULE_NOT_FOUND' && message.includes(LIBRARY_FILE))) {
    return `${library} is missing`
  }
  if (code !== 'ERR_DLOPEN_FAILED') return null
  const versions = /NODE_MODULE_VERSION (\d+)\. This version of Node\.js requires\s+NODE_MODULE_VERSION (\d+)/.exec(message)
  if (versions) return `${library} was built for another Node.js (NODE_MODULE_VERSION ${versions[1]}, not ${versions[2]} as Node.js ${process.version})`
  if (message.startsWith('Module did not self-register')) return `${library} was not built for this Node.js (${process.version})`
  // dlopen's own words follow the file's name: "invalid ELF header", "file too short", "undefined symbol: …".
  const reason = oneLine(message.startsWith(`${library}: `) ? message.slice(library.length + 2) : message)
  return `${library} cannot be loaded: ${reason}`
}

/** Where kedge is installed: the directory whose node_modules holds better-sqlite3, where `npm rebuild` finds it. */
function installDirectory(packageDirectory: string): string {
  const modules = path.dirname(packageDirectory)
  return path.basename(modules) === 'node_modules' ? path.dirname(modules) : packageDirectory
}

function libraryIn(packageDirectory: string, build: string): string {
  return path.join(packageDirectory, 'build', build, LIBRARY_FILE)
}

/** A path as one word of a shell command, quoted only when it needs to be. */
function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim()
  return line.length > 200 ? `${line.slice(0, 200)}…` : line
}
