import {existsSync, lstatSync, readdirSync} from 'node:fs'
import path from 'node:path'

import {closeDatabase, openDatabase} from '../../src/store/database.js'
import {runKedgeJson} from './cli.js'
import {tempDir} from './temp.js'

/** What a refused command must leave unchanged: the registry and the directories under the home. */
export async function homeState(home: string): Promise<{repositories: unknown; files: string[]}> {
  const {json} = await runKedgeJson<unknown>(['repo', 'list'], {home})
  // A home that was never created holds no repositories, as an empty one does.
  const never = (json as {error?: {code?: string}}).error?.code === 'no_home'
  const files = ['repos', 'staging'].flatMap((dir) =>
    existsSync(path.join(home, dir)) ? readdirSync(path.join(home, dir)).map((entry) => `${dir}/${entry}`) : [],
  )
  return {repositories: never ? [] : json, files}
}

export interface HomeContents {
  /** Every row of every table, by table. */
  rows: Record<string, unknown[]>
  /** Every path under the home, a file with its size. */
  files: string[]
}

/**
 * All of the home, read in this process: stricter than homeState (deployments and locks included, every
 * file) and cheap enough to check after each of many refusals. The database's own files are left out:
 * SQLite may checkpoint them on any open.
 */
export function homeContents(home: string): HomeContents {
  return {rows: databaseRows(path.join(home, 'kedge.db')), files: filesUnder(home)}
}

function databaseRows(file: string): Record<string, unknown[]> {
  if (!existsSync(file)) return {}
  const db = openDatabase(file)
  try {
    const tables = db.$client.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{name: string}>
    return Object.fromEntries(tables.map(({name}) => [name, db.$client.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).all()]))
  } finally {
    closeDatabase(db)
  }
}

/**
 * Files are listed with their size, directories with a trailing "/". A clone being checked in `staging/` is
 * listed by its directory only: it changes while git writes it, and is gone once the check ends.
 */
function filesUnder(home: string): string[] {
  const files: string[] = []
  const walk = (relative: string): void => {
    for (const entry of readdirSync(path.join(home, relative), {withFileTypes: true})) {
      const entryPath = path.posix.join(relative, entry.name)
      if (relative === '' && /^kedge\.db(-wal|-shm|-journal)?$/.test(entry.name)) continue
      if (!entry.isDirectory()) {
        files.push(`${entryPath} ${lstatSync(path.join(home, entryPath)).size}`)
        continue
      }
      files.push(`${entryPath}/`)
      if (relative !== 'staging') walk(entryPath)
    }
  }
  if (existsSync(home)) walk('')
  return files.sort()
}

/** A new, empty kedge home (its database created and migrated), for commands that need one to exist. */
export function emptyHome(): string {
  const home = tempDir()
  closeDatabase(openDatabase(path.join(home, 'kedge.db')))
  return home
}
