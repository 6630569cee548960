import {accessSync, closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync, readSync} from 'node:fs'
import path from 'node:path'

import {InvalidConfigError, InvalidInputError, quoted} from '../../model/errors.js'

/** Symbolic links followed on the way to one file before kedge gives up, as the kernel does (ELOOP). */
const MAX_LINK_HOPS = 40

/** What a path of the repository leads to, every symbolic link on the way followed inside the repository. */
export type RepositoryEntry =
  | {kind: 'missing'}
  | {kind: 'file' | 'directory' | 'other'; /** The real path, relative to the repository root, POSIX separators; '' for the root. */ real: string}

/** Why kedge will not read a path of the repository; the message names the path, never what it holds. */
export type RefusalReason = 'outside' | 'git' | 'loop'

const REFUSALS: Record<RefusalReason, {detail: string; hint: string}> = {
  outside: {detail: 'leads outside the repository', hint: 'kedge reads only files of the repository: commit the file itself, or a link to a file inside the repository'},
  git: {detail: 'is inside .git, which kedge does not read', hint: 'name a file of the commit'},
  loop: {detail: 'has too many levels of symbolic links', hint: 'point the link at the file itself'},
}

class RefusedPath extends Error {
  constructor(readonly reason: RefusalReason) {
    super(REFUSALS[reason].detail)
  }
}

/**
 * Resolves `relative` (POSIX, relative to `root`) one step at a time, following symbolic links as the
 * kernel would but never looking at anything outside `root`: a link that is absolute or climbs out of
 * the repository is refused before its target is touched, so kedge neither reads a host file through a
 * commit nor tells whether one exists. Throws RefusedPath.
 */
function resolveInside(root: string, relative: string): RepositoryEntry {
  // Callers name files relative to the repository; an absolute name is not one, whatever it would resolve to.
  if (path.posix.isAbsolute(relative)) throw new RefusedPath('outside')
  const pending = relative.replaceAll('\\', '/').split('/')
  const resolved: string[] = []
  let hops = 0
  while (pending.length > 0) {
    const part = pending.shift()!
    if (part === '' || part === '.') continue
    if (part === '..') {
      if (resolved.length === 0) throw new RefusedPath('outside')
      resolved.pop()
      continue
    }
    if (part.toLowerCase() === '.git') throw new RefusedPath('git')
    const candidate = path.join(root, ...resolved, part)
    const stat = lstatOrNull(candidate)
    if (stat === null) return {kind: 'missing'}
    if (stat.isSymbolicLink()) {
      if (++hops > MAX_LINK_HOPS) throw new RefusedPath('loop')
      const target = readlinkSync(candidate)
      if (path.posix.isAbsolute(target)) throw new RefusedPath('outside')
      pending.unshift(...target.split('/'))
      continue
    }
    if (pending.some((rest) => rest !== '' && rest !== '.') && !stat.isDirectory()) return {kind: 'missing'}
    resolved.push(part)
  }
  const real = resolved.join('/')
  const stat = lstatSync(path.join(root, ...resolved))
  return {kind: stat.isFile() ? 'file' : stat.isDirectory() ? 'directory' : 'other', real}
}

function lstatOrNull(file: string) {
  try {
    return lstatSync(file, {throwIfNoEntry: false}) ?? null
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') return null
    throw error
  }
}

/**
 * What `relative` leads to inside the repository at `root`. A path that leaves the repository (through
 * "..", an absolute path or a symbolic link), names .git or loops is refused with `refuse(reason)`.
 */
export function repositoryEntry(root: string, relative: string, refuse: (reason: RefusalReason, hint: string) => Error): RepositoryEntry {
  try {
    return resolveInside(root, relative)
  } catch (error) {
    if (error instanceof RefusedPath) throw refuse(error.reason, REFUSALS[error.reason].hint)
    throw error
  }
}

/** The detail of a refusal, for a message that names the path itself. */
export function refusalDetail(reason: RefusalReason): string {
  return REFUSALS[reason].detail
}

/**
 * The stack directory `--path` names, resolved inside the repository: its real absolute path. Refused
 * when it is missing or not a directory (`missing`), or leaves the repository.
 */
export function repositoryDirectory(root: string, stackPath: string, missing: () => Error): string {
  const entry = repositoryEntry(root, stackPath, (reason, hint) =>
    new InvalidInputError(`path ${quoted(stackPath)} ${refusalDetail(reason)}`, {code: 'invalid_path', hint}),
  )
  if (entry.kind !== 'directory') throw missing()
  return path.join(root, ...entry.real.split('/').filter(Boolean))
}

/**
 * The text of a file of the repository, read safely: it must lead, after its symbolic links, to a
 * regular file inside the repository (not .git, a device, a pipe or a directory) of at most `maxBytes`.
 * The file is opened without following links (its real path is opened) and without blocking, checked
 * with fstat, and at most maxBytes + 1 bytes are read, whatever it claims. Null when it does not exist.
 * A refusal is an InvalidConfigError naming `shown` (the path as the repository names it) and why.
 */
export function readRepositoryText(root: string, relative: string, maxBytes: number, shown = relative): string | null {
  const refuse = (detail: string, hint: string) => new InvalidConfigError(shown, undefined, detail, {hint})
  const entry = repositoryEntry(root, relative, (reason, hint) => refuse(refusalDetail(reason), hint))
  if (entry.kind === 'missing') return null
  if (entry.kind !== 'file') throw refuse('is not a regular file', 'commit a regular file under this name')
  const fd = openSync(path.join(root, ...entry.real.split('/')), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  try {
    const stat = fstatSync(fd)
    if (!stat.isFile()) throw refuse('is not a regular file', 'commit a regular file under this name')
    const tooLarge = () => refuse(`is larger than ${formatBytes(maxBytes)}, the most kedge reads`, 'keep the file under the limit; see docs/hostile-commits.md')
    if (stat.size > maxBytes) throw tooLarge()
    const text = readAtMost(fd, maxBytes + 1)
    if (text.length > maxBytes) throw tooLarge()
    return text.toString('utf8')
  } finally {
    closeSync(fd)
  }
}

/**
 * A hook's file in the checkout (see RepositoryFiles.hookFile): it must lead, after its symbolic links, to
 * a regular file inside the repository, or it is refused as readRepositoryText refuses one.
 */
export function repositoryHookFile(root: string, relative: string): {path: string; executable: boolean} | null {
  const refuse = (detail: string, hint: string) => new InvalidConfigError(relative, undefined, detail, {hint})
  const entry = repositoryEntry(root, relative, (reason, hint) => refuse(refusalDetail(reason), hint))
  if (entry.kind === 'missing') return null
  if (entry.kind !== 'file') throw refuse('is not a regular file', 'commit the hook as a regular file')
  const file = path.join(root, ...entry.real.split('/'))
  return {path: file, executable: isExecutable(file)}
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** At most `limit` bytes from `fd`, in chunks: a file that grows after fstat is still read no further. */
function readAtMost(fd: number, limit: number): Buffer {
  const chunks: Buffer[] = []
  let length = 0
  while (length < limit) {
    const chunk = Buffer.alloc(Math.min(64 * 1024, limit - length))
    const read = readSync(fd, chunk, 0, chunk.length, null)
    if (read === 0) break
    chunks.push(chunk.subarray(0, read))
    length += read
  }
  return Buffer.concat(chunks, length)
}

function formatBytes(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${Math.round(bytes / 1024)} KiB`
}
