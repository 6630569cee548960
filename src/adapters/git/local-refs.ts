import type {Dirent, Stats} from 'node:fs'
import {closeSync, constants, fstatSync, openSync, readdirSync, readFileSync, statSync} from 'node:fs'
import path from 'node:path'

import type {Discovery} from './discovery.js'
import {gitConfigKeys} from './git-config-keys.js'
import {OBJECT_ID_LENGTH} from './object-id.js'

/**
 * Reads a branch of a repository on this host from its files, as `git upload-pack` would advertise it:
 * the loose ref `refs/heads/<branch>`, else its line in `packed-refs` (the order git reads them in,
 * and safe against a concurrent `git pack-refs`, which writes packed-refs before it deletes loose
 * refs). `location` is the path as git would be given it: the repository itself (bare) or a work
 * tree whose `.git` is a directory or a `gitdir:` file.
 *
 * Only the plain layout is read; anything else is left to git, so that its answers and its errors stay
 * what they are: a path git would complete (`name` for `name.git`), a linked work tree, a reftable
 * repository, a repository extension or hidden refs, a symbolic or odd ref, a repository not owned by
 * kedge's user (git refuses it as "dubious ownership"), any file that cannot be read. Like upload-pack
 * without its connectivity check, a ref to a missing object is still reported; fetching it then fails.
 *
 * The few small files are read synchronously: serve reads them at every poll of every such repository,
 * and the promise API's open, stat, read and close, each a trip through the thread pool, cost several
 * times the reads themselves (bench/stack-scale.ts; docs/performance.md, "Idle cost at scale").
 */
export function readLocalBranch(location: string, branch: string): Discovery {
  const repository = locateGitDirectory(location)
  if ('why' in repository) return {known: false, why: repository.why}
  const {gitDir, ownedPaths} = repository
  for (const owned of ownedPaths) {
    if (!ownedByUs(owned)) return {known: false, why: `${owned.path} belongs to another user`}
  }
  const format = objectFormat(gitDir)
  if ('why' in format) return {known: false, why: format.why}
  const objectId = new RegExp(`^[0-9a-f]{${format.length}}$`)

  const refsDir = path.join(gitDir, 'refs', 'heads')
  const loosePath = path.join(refsDir, branch)
  if (!loosePath.startsWith(`${refsDir}${path.sep}`)) return {known: false, why: `"${branch}" leaves refs/heads`}
  const loose = readOptional(loosePath)
  if (loose.kind === 'unreadable') return {known: false, why: loose.why}
  if (loose.kind === 'text') {
    const commit = loose.text.replace(/\n$/, '')
    return objectId.test(commit) ? {known: true, head: commit} : {known: false, why: `refs/heads/${branch} is not a plain ref`}
  }
  const packed = readOptional(path.join(gitDir, 'packed-refs'))
  if (packed.kind === 'unreadable') return {known: false, why: packed.why}
  if (packed.kind === 'missing') return {known: true, head: null}
  return findPackedRef(packed.text, `refs/heads/${branch}`, objectId)
}

interface OwnedPath {
  path: string
  stats: Stats
}

/** git upload-pack's own search, cut short: `<location>/.git`, then `<location>`; the rest is git's. */
function locateGitDirectory(location: string): {gitDir: string; ownedPaths: OwnedPath[]} | {why: string} {
  const top = statOptional(location)
  if (!top?.isDirectory()) return {why: `${location} is not a directory`}
  const entries = listOptional(location)
  if (!entries) return {why: `${location} cannot be listed`}
  const dotGit = path.join(location, '.git')
  const dotGitEntry = entries.get('.git')
  if (dotGitEntry?.isFile()) {
    const gitFile = readOptional(dotGit)
    const dotGitStats = statOptional(dotGit)
    const target = gitFile.kind === 'text' ? /^gitdir: (.+)\n?$/.exec(gitFile.text)?.[1] : undefined
    if (!target || !dotGitStats) return {why: `${dotGit} is not a plain gitdir: file`}
    const gitDir = path.resolve(location, target)
    const gitDirStats = statOptional(gitDir)
    if (!gitDirStats || !isGitDirectory(gitDir, listOptional(gitDir))) return {why: `${dotGit} points at no repository`}
    return {gitDir, ownedPaths: [{path: location, stats: top}, {path: dotGit, stats: dotGitStats}, {path: gitDir, stats: gitDirStats}]}
  }
  if (dotGitEntry?.isDirectory()) {
    const dotGitStats = statOptional(dotGit)
    if (!dotGitStats || !isGitDirectory(dotGit, listOptional(dotGit))) return {why: `${dotGit} is not a repository`}
    return {gitDir: dotGit, ownedPaths: [{path: location, stats: top}, {path: dotGit, stats: dotGitStats}]}
  }
  if (dotGitEntry) return {why: `${dotGit} is neither a directory nor a file`}
  if (!isGitDirectory(location, entries)) return {why: `${location} is not a repository`}
  return {gitDir: location, ownedPaths: [{path: location, stats: top}]}
}

/**
 * git's is_git_directory, from the directory's listing: HEAD naming a ref or holding an object id,
 * objects/ and refs/ (real directories, not links); and neither a linked work tree's (commondir) nor
 * a reftable repository's.
 */
function isGitDirectory(gitDir: string, entries: Map<string, Dirent> | null): boolean {
  if (!entries?.get('HEAD')?.isFile() || !entries.get('objects')?.isDirectory() || !entries.get('refs')?.isDirectory()) return false
  if (entries.has('commondir') || entries.has('reftable')) return false
  const head = readOptional(path.join(gitDir, 'HEAD'))
  return head.kind === 'text' && /^(ref: refs\/\S+|[0-9a-f]{40}|[0-9a-f]{64})\n?$/.test(head.text)
}

/** The repository's object id length, when its config holds nothing that changes how refs are read or shown. */
function objectFormat(gitDir: string): {length: number} | {why: string} {
  const file = readOptional(path.join(gitDir, 'config'))
  if (file.kind !== 'text') return {why: file.kind === 'missing' ? 'the repository has no config' : file.why}
  const config = file.text
  const keys = gitConfigKeys(config)
  if (!keys) return {why: 'the repository\'s config is not one kedge can read'}
  const unusual = keys.find((key) => (key.section === 'extensions' && key.name !== 'extensions.objectformat') || key.name.endsWith('.hiderefs') || key.section === 'include' || key.section === 'includeif')
  if (unusual) return {why: `the repository sets ${unusual.name}`}
  const format = /^\s*objectformat\s*=\s*(\w+)\s*$/im.exec(config)?.[1]?.toLowerCase() ?? 'sha1'
  const length = OBJECT_ID_LENGTH[format]
  return length === undefined ? {why: `the object format "${format}"`} : {length}
}

/** packed-refs: an optional `# pack-refs with:` header, `<oid> <ref>` lines, each optionally followed by `^<oid>` (its peeled tag). */
function findPackedRef(text: string, ref: string, objectId: RegExp): Discovery {
  const lines = text.split('\n')
  if (lines.at(-1) === '') lines.pop()
  let found: string | null = null
  let previousWasRef = false
  for (const [index, line] of lines.entries()) {
    if (index === 0 && line.startsWith('# pack-refs with:')) continue
    if (line.startsWith('^') && previousWasRef && objectId.test(line.slice(1))) {
      previousWasRef = false
      continue
    }
    const space = line.indexOf(' ')
    const [id, name] = [line.slice(0, space), line.slice(space + 1)]
    if (space === -1 || !objectId.test(id) || !/^refs\/[^\x00-\x20\x7f]+$/.test(name)) return {known: false, why: 'packed-refs has a line kedge cannot read'}
    if (name === ref) {
      if (found !== null) return {known: false, why: `packed-refs holds ${ref} twice`}
      found = id
    }
    previousWasRef = true
  }
  return {known: true, head: found}
}

/** Git refuses a repository that belongs to another user; kedge leaves that refusal to git. */
function ownedByUs(owned: OwnedPath): boolean {
  return process.geteuid !== undefined && owned.stats.uid === process.geteuid()
}

/** A directory's entries by name, their types as lstat sees them; null when it cannot be listed. */
function listOptional(directory: string): Map<string, Dirent> | null {
  try {
    return new Map(readdirSync(directory, {withFileTypes: true}).map((entry) => [entry.name, entry]))
  } catch {
    return null
  }
}

function statOptional(file: string): Stats | null {
  try {
    return statSync(file)
  } catch {
    return null
  }
}

/** Anything but a file that is there or missing (a directory, no permission) is a reason to ask git. */
type FileRead = {kind: 'text'; text: string} | {kind: 'missing'} | {kind: 'unreadable'; why: string}

/**
 * Opened without blocking and read only if it is a regular file: a FIFO or a device in the repository's
 * place would otherwise hold the read, and serve's one thread with it. (A hung network mount still would,
 * as it would hold git.)
 */
function readOptional(file: string): FileRead {
  let descriptor: number | undefined
  try {
    descriptor = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK)
    if (!fstatSync(descriptor).isFile()) return {kind: 'unreadable', why: `${file} is not a regular file`}
    return {kind: 'text', text: readFileSync(descriptor, 'utf8')}
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    return code === 'ENOENT' ? {kind: 'missing'} : {kind: 'unreadable', why: `${file} cannot be read (${code ?? 'error'})`}
  } finally {
    if (descriptor !== undefined) closeSync(descriptor)
  }
}
