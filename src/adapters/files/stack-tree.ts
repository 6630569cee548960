import {lstatSync, opendirSync} from 'node:fs'
import path from 'node:path'

import {CONFIG_FILENAMES} from '../../model/config/kedge-config.js'
import {byCodeUnits} from '../../model/compose/text-order.js'
import {InvalidConfigError} from '../../model/errors.js'
import type {StackTree} from '../../model/stack/stack-layout.js'
import {DEFAULT_COMPOSE_FILES} from './compose-files.js'
import {repositoryEntry} from './repository-file.js'

/** The entries kedge reads of one directory when looking for stacks; a directory of stacks holds a few dozen. */
export const MAX_DIRECTORY_ENTRIES = 1000

/**
 * The directories of the checkout at `repoRoot`, for the stack layout. Only real directories count: a
 * directory reached through a symbolic link is skipped, wherever the link points, and .git is never
 * looked into. The files that make a directory a stack are checked as kedge reads them: a regular file
 * inside the repository, a link to one included (docs/hostile-commits.md).
 */
export function stackTree(repoRoot: string): StackTree {
  const holdsFile = (dir: string, names: readonly string[]) => isRealDirectory(repoRoot, dir) && names.some((name) => isRepositoryFile(repoRoot, path.posix.join(dir, name)))
  return {
    subdirectories: (dir) => subdirectories(repoRoot, dir),
    holdsComposeFile: (dir) => holdsFile(dir, DEFAULT_COMPOSE_FILES),
    holdsStack: (dir) => holdsFile(dir, [...DEFAULT_COMPOSE_FILES, ...CONFIG_FILENAMES]),
  }
}

function subdirectories(repoRoot: string, dir: string): string[] {
  if (!isRealDirectory(repoRoot, dir)) return []
  const listing = opendirSync(absolute(repoRoot, dir))
  const names: string[] = []
  try {
    let read = 0
    for (let entry = listing.readSync(); entry !== null; entry = listing.readSync()) {
      if (++read > MAX_DIRECTORY_ENTRIES) {
        throw new InvalidConfigError(dir || '.', undefined, `holds more than ${MAX_DIRECTORY_ENTRIES} entries, the most kedge reads of a directory when looking for stacks`, {
          hint: "keep the stacks' directories apart from large directories, or list them under stacks: without a glob",
        })
      }
      if (entry.isDirectory() && entry.name.toLowerCase() !== '.git') names.push(entry.name)
    }
  } finally {
    listing.closeSync()
  }
  return names.sort(byCodeUnits)
}

/** True when every segment of `dir` is a directory itself, not a symbolic link, and none is .git or climbs out. */
function isRealDirectory(repoRoot: string, dir: string): boolean {
  let current = repoRoot
  for (const segment of dir.split('/').filter(Boolean)) {
    if (segment === '.' || segment === '..' || segment.toLowerCase() === '.git') return false
    current = path.join(current, segment)
    const stat = lstatSync(current, {throwIfNoEntry: false})
    if (!stat?.isDirectory()) return false
  }
  return true
}

/**
 * True when `relative` leads, through links inside the repository only, to a regular file. A link out of
 * the repository does not make a stack; the compose files' own reading reports it where it is named.
 */
function isRepositoryFile(repoRoot: string, relative: string): boolean {
  try {
    return repositoryEntry(repoRoot, relative, () => new NotInside()).kind === 'file'
  } catch (error) {
    if (error instanceof NotInside) return false
    throw error
  }
}

class NotInside extends Error {}

function absolute(repoRoot: string, dir: string): string {
  return path.join(repoRoot, ...dir.split('/').filter(Boolean))
}

