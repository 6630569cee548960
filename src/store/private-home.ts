import {chmodSync, mkdirSync, statSync} from 'node:fs'

import {errorMessage} from '../model/errors.js'

/**
 * The home holds sealed credentials, the clones of private repositories and the errors of their
 * deployments: only its owner may read it. kedge creates it 0700 (and writes under a 077 umask, see
 * bin/run.cjs); a home made by an older kedge, or by hand, is tightened the first time it is opened,
 * with a note on stderr. SQLite gives kedge.db-wal and -shm the database file's mode when it creates them.
 */
const HOME_MODE = 0o700
export const DATABASE_MODE = 0o600

function databaseFilesOf(databaseFile: string): string[] {
  return [databaseFile, `${databaseFile}-wal`, `${databaseFile}-shm`]
}

/** Creates the home (0700) when it is missing, else tightens what is open to others, saying so on stderr, or that it could not. */
export function preparePrivateHome(root: string, databaseFile: string): void {
  mkdirSync(root, {recursive: true, mode: HOME_MODE})
  const loose = [{path: root, mode: HOME_MODE}, ...databaseFilesOf(databaseFile).map((file) => ({path: file, mode: DATABASE_MODE}))].filter(
    ({path}) => ((statSync(path, {throwIfNoEntry: false})?.mode ?? 0) & 0o077) !== 0,
  )
  if (loose.length === 0) return
  try {
    for (const {path, mode} of loose) chmodSync(path, mode)
  } catch (error) {
    process.stderr.write(`Warning: the kedge home ${root} is readable by other users and cannot be made private: ${errorMessage(error)}\n`)
    return
  }
  process.stderr.write(`Note: the kedge home ${root} was readable by other users; it is now private (${loose.map(({path}) => path.slice(root.length + 1) || '.').join(', ')})\n`)
}
