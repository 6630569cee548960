import {chmodSync, existsSync, linkSync, lstatSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {parseDocument} from 'yaml'

import {InvalidConfigError, quoted} from '../../model/errors.js'
import {configOnlyHash, filesHash, serviceHash, type ComposeService} from '../../model/compose/compose-model.js'
import type {StackContainer} from '../../model/stack/containers.js'
import type {MountedFiles, OnFileChange} from '../../model/compose/mounted-files.js'
import type {DesiredService, ServiceChange} from '../../model/stack/plan.js'

const FIELD = 'x-kedge.on_file_change'

/** Linux signals a process may take to reload; SIGKILL and SIGSTOP cannot be handled. */
const SIGNALS = new Set([
  'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGTERM', 'SIGALRM', 'SIGCONT', 'SIGWINCH', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGURG', 'SIGPWR', 'SIGIO',
])

/**
 * Each service's on_file_change as the compose files declare it, the later file winning as Compose
 * merges them: Compose v1 drops a service's extension fields when it merges several files, so kedge
 * reads them itself. `files` are the compose files in order; only those that mention x-kedge are parsed.
 */
export function declaredOnFileChange(files: ReadonlyArray<{path: string; content: string}>): Map<string, {value: unknown; file: string}> {
  const declared = new Map<string, {value: unknown; file: string}>()
  for (const {path: file, content} of files) {
    if (!content.includes('x-kedge')) continue
    const document = parseComposeYaml(file, content)
    const services = isRecord(document) && isRecord(document.services) ? document.services : {}
    for (const [name, service] of Object.entries(services)) {
      const extension = isRecord(service) ? service['x-kedge'] : undefined
      if (isRecord(extension) && extension.on_file_change !== undefined) declared.set(name, {value: extension.on_file_change, file})
    }
  }
  return declared
}

/** A validated on_file_change, normalised (`signal:HUP` is `signal:SIGHUP`); null for the default, recreate. */
export function parseOnFileChange(value: unknown, file: string, service: string): OnFileChange | null {
  if (value === null || value === undefined || value === 'recreate') return null
  const field = `services.${service}.${FIELD}`
  const expected = 'expected restart, signal:<SIGNAL> (such as signal:SIGHUP), none or recreate'
  if (typeof value !== 'string') throw new InvalidConfigError(file, field, `not a text value (${expected})`)
  if (value === 'restart' || value === 'none') return value
  const signal = /^signal:(.+)$/.exec(value.trim())?.[1]?.trim().toUpperCase()
  if (signal === undefined) throw new InvalidConfigError(file, field, `${quoted(value)} is not a known action (${expected})`)
  const name = signal.startsWith('SIG') ? signal : `SIG${signal}`
  if (!SIGNALS.has(name)) {
    throw new InvalidConfigError(file, field, `${quoted(signal)} is not a signal a process can reload on (one of ${[...SIGNALS].join(', ')})`)
  }
  return `signal:${name}`
}

/**
 * The hash for the service's labels and, for a service that declares on_file_change, the record of its
 * mounted files. A service without it keeps serviceHash, files included, as before on_file_change existed.
 */
export function hashesOf(service: ComposeService, objectIds: ReadonlyMap<string, string>, onChange: OnFileChange | null): {hash: string; files?: MountedFiles} {
  if (onChange === null) return {hash: serviceHash(service, objectIds)}
  return {hash: configOnlyHash(service, objectIds), files: {onChange, hash: filesHash(service, objectIds), paths: service.mountedPaths}}
}

/**
 * The containers to restart or signal for the changes, with the signal; `files` changes need nothing.
 * Only running containers: one that stopped is started by `up` and reads the new files then, and a job
 * that completed must not run again.
 */
export function fileChangeSteps(changes: readonly ServiceChange[], containers: readonly StackContainer[]): Array<{container: StackContainer; signal: string | null}> {
  return changes.flatMap((change): Array<{container: StackContainer; signal: string | null}> => {
    const own = containers.filter((container) => container.service === change.service)
    const running = own.filter((container) => container.state === 'running')
    if (change.action === 'restart') return running.map((container) => ({container, signal: null}))
    if (change.action === 'reload') return running.map((container) => ({container, signal: change.signal!}))
    return []
  })
}

/**
 * Single files mounted into a container that is signalled rather than restarted. `git read-tree -u`
 * writes a changed file as a new inode, and a container keeps the inode it was started with, so it
 * would reload the old content: these files are written in place instead (see keepMountedInodes).
 * A mounted directory sees its files replaced and needs nothing.
 */
function singleFilesToKeep(stackDir: string, services: readonly DesiredService[]): string[] {
  const files = services.flatMap((service) => (service.files && service.files.onChange !== 'restart' ? service.files.paths : []))
  const root = realpathSync(stackDir)
  return [...new Set(files)]
    .map((file) => path.join(stackDir, file))
    .filter((file) => lstatSync(file, {throwIfNoEntry: false})?.isFile() === true && isInside(root, realpathSync(path.dirname(file))))
}

/** A directory of the stack reached through a committed symbolic link may lie elsewhere on the host: kedge writes only inside the stack. */
function isInside(root: string, directory: string): boolean {
  return directory === root || directory.startsWith(`${root}${path.sep}`)
}

export interface KeptInode {
  file: string
  /** A second name for the inode containers see, beside the file, so that it survives the file's replacement. */
  keep: string
}

/** Places the commit's files with `place`, writing the single files that need it in place (see singleFilesToKeep). */
export async function placeKeepingMountedInodes(stackDir: string, services: readonly DesiredService[], place: () => Promise<void>): Promise<void> {
  const kept = keepMountedInodes(stackDir, services)
  try {
    await place()
  } finally {
    restoreMountedInodes(kept)
  }
}

/** Before the commit's files are placed: keeps the inodes of the single files that must be written in place. */
function keepMountedInodes(stackDir: string, services: readonly DesiredService[]): KeptInode[] {
  return singleFilesToKeep(stackDir, services).map((file) => {
    const keep = path.join(path.dirname(file), `.${path.basename(file)}.kedge-inode`)
    rmSync(keep, {force: true})
    linkSync(file, keep)
    return {file, keep}
  })
}

/**
 * After the files are placed: a kept file git replaced gets the new content and mode written into its
 * old inode, which then takes its name again, so the containers that mount it see the new content.
 */
function restoreMountedInodes(kept: readonly KeptInode[]): void {
  for (const {file, keep} of kept) {
    const placed = lstatSync(file, {throwIfNoEntry: false})
    if (placed?.isFile() && placed.ino !== lstatSync(keep).ino) {
      writeFileSync(keep, readFileSync(file))
      chmodSync(keep, placed.mode & 0o7777)
      renameSync(keep, file)
    } else {
      rmSync(keep, {force: true})
    }
  }
}

/**
 * The mounted files' hashes as last placed in the stack directory, by service: applyStack compares the
 * commit's with these rather than with the last good deployment, since a failed deploy or a rollback
 * may have placed others since. Undefined when nothing was recorded yet.
 */
export function readPlacedFiles(generatedDir: string): Array<Pick<DesiredService, 'name' | 'files'>> | undefined {
  const file = placedFilesPath(generatedDir)
  if (!existsSync(file)) return undefined
  return JSON.parse(readFileSync(file, 'utf8')) as Array<Pick<DesiredService, 'name' | 'files'>>
}

export function recordPlacedFiles(generatedDir: string, services: readonly DesiredService[]): void {
  writeFileSync(placedFilesPath(generatedDir), `${JSON.stringify(services.map(({name, files}) => ({name, files})))}\n`)
}

function placedFilesPath(generatedDir: string): string {
  return path.join(generatedDir, 'mounted-files.json')
}

/** A compose file as Compose reads it (merge keys, repeated keys allowed), for the extension only. */
function parseComposeYaml(file: string, content: string): unknown {
  const document = parseDocument(content, {merge: true, uniqueKeys: false})
  const [error] = document.errors
  if (error) throw new InvalidConfigError(file, undefined, `kedge cannot read it for ${FIELD}: ${error.message.split('\n')[0]}`)
  return document.toJS({maxAliasCount: -1})
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
