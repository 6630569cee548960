import {existsSync, readdirSync, rmSync} from 'node:fs'
import path from 'node:path'

import {InvalidInputError, InvalidStateError, NotFoundError, quoted} from '../../model/errors.js'
import type {RepositoryRow, StackTarget} from '../../model/rows.js'
import {isRootStack, isStackName} from '../../model/stack/stack-names.js'
import type {KedgeContext} from '../context.js'
import {insideHome, stackPaths, stackPathsOf, type StackPaths} from './stack-paths.js'
import {stacksOf} from '../stacks/stacks.js'
import {takeDownStack, type StackDown} from '../stacks/take-down.js'
import {LABELS} from '../../model/compose/labels.js'
import {withRepositoryLock} from '../deploying/lock.js'
import {REPO_NAME_PATTERN} from '../../model/repository/repo-url.js'
import {requireRepository} from './require-repository.js'
import {corruptRow, isRepositoryName} from '../../model/repository/row-checks.js'

export interface RemoveOptions {
  /** Take the stack down: the containers kedge labelled for the repository, and the project's networks. */
  down: boolean
  /** Also remove the project's named volumes (`compose down --volumes`). */
  volumes: boolean
  /** Delete the stack directory, and with it whatever the containers wrote through bind mounts; implies `down`. */
  purge: boolean
}

export type {StackTakenDown} from '../stacks/take-down.js'

export interface RemoveRepositoryResult {
  name: string
  removed: true
  /** What `--down` did to the stack; null when it was not asked for. */
  down: StackDown | null
  /** The stack directory, left where it is: its stack still runs from it, or it holds what the containers wrote. */
  keptStackDir: string | null
  /** The stack directory `--purge` deleted. */
  purgedStackDir: string | null
  /** Set when only the registration was removed and no file was deleted: why. */
  filesUntouched?: string
  /** For a repository of several stacks: each stack's part (the fields above are then its root stack's, or empty). */
  stacks?: Array<{stack: string; down: RemoveRepositoryResult['down']; keptStackDir: string | null; purgedStackDir: string | null}>
}

const REMOVE_LOCK_WAIT_MS = 60_000

/**
 * Forgets a repository and deletes kedge's own copies of it: the clone, the generated files, the kept
 * releases. Without `down` its stack keeps running as it is, from its stack directory; kedge never heals
 * it again. With `down` kedge takes down the containers it labelled for the repository (a failed first
 * deploy's included) and the project's networks, and leaves the stack directory: it holds whatever the
 * containers wrote through relative bind mounts, which is the user's. Only `purge` deletes it.
 */
export async function removeRepository(context: KedgeContext, name: string, options: RemoveOptions): Promise<RemoveRepositoryResult> {
  const repository = context.store.findRepository(name.trim().toLowerCase())
  if (!repository && options.purge) return purgeLeftovers(context, name)
  if (repository && !isRepositoryName(repository.name)) return removeCorruptRow(context, repository, options)
  return removeRegistered(context, repository ?? requireRepository(context, name), options)
}

/**
 * A registration whose stored name `repo add` would not take (kedge.db edited by hand or damaged): no
 * directory of the home is its, and a path built from the name could be anywhere on the host. Its row
 * alone goes, which is what removing a broken registration asks for; no file is deleted. --down and
 * --purge are refused: which containers and which stack directory were its cannot be told.
 */
async function removeCorruptRow(context: KedgeContext, repository: RepositoryRow, options: RemoveOptions): Promise<RemoveRepositoryResult> {
  if (options.down || options.purge) {
    const error = corruptRow('repositories', repository.id, 'name', `${quoted(repository.name)} is not a repository name kedge accepts, so kedge cannot tell its stack`)
    throw new InvalidStateError(`${error.message}; nothing was removed`, {
      code: error.code,
      hint: 'run "kedge repo remove" without --down, --volumes and --purge to remove only its registration, then take its stack down by hand',
    })
  }
  return withRepositoryLock(context, repository, {purpose: 'kedge repo remove', waitMs: REMOVE_LOCK_WAIT_MS}, async () => {
    context.store.deleteRepository(repository.name)
    return {
      name: repository.name,
      removed: true as const,
      down: null,
      keptStackDir: null,
      purgedStackDir: null,
      filesUntouched: 'its stored name is not one kedge accepts, so no directory of the home is its',
    }
  })
}

/** The stack directories `--purge` would delete, for its confirmation; not_found when there is nothing of that name to remove. */
export function stackDirsToPurge(context: KedgeContext, name: string): string[] {
  const repository = context.store.findRepository(name.trim().toLowerCase())
  if (repository) return [stackPaths(context, repository.name).stackDir, ...otherStacks(context, repository).map((target) => stackPathsOf(context, target).stackDir)]
  const dirs = leftovers(context, name).keys.map((key) => context.home.stackDir(key))
  // A stack that left only kept releases has no directory to show.
  const present = dirs.filter((dir) => existsSync(dir))
  return present.length > 0 ? present : dirs.slice(0, 1)
}

/** The repository's stacks other than its root stack, whose files live in directories of their own. */
function otherStacks(context: KedgeContext, repository: RepositoryRow): StackTarget[] {
  return stacksOf(context, repository)
    .map((stack) => ({repository, stack}))
    .filter((target) => !isRootStack(target))
}

async function removeRegistered(context: KedgeContext, repository: RepositoryRow, options: RemoveOptions): Promise<RemoveRepositoryResult> {
  return withRepositoryLock(context, repository, {purpose: 'kedge repo remove', waitMs: REMOVE_LOCK_WAIT_MS}, async () => {
    // Checked before anything is taken down or deleted: every path lies inside the home.
    const paths = stackPaths(context, repository.name)
    const stacks = stacksOf(context, repository).map((stack) => ({repository, stack}))
    const others = stacks.filter((target) => !isRootStack(target)).map((target) => ({target, paths: stackPathsOf(context, target)}))
    const root = stacks.find((target) => isRootStack(target))
    const takeDown = options.down || options.purge
    const down = takeDown && (root || others.length === 0) ? await takeDownOrSay(context, root ?? null, options.volumes) : null
    const downs: Array<RemoveRepositoryResult['down']> = []
    for (const other of others) downs.push(takeDown ? await takeDownOrSay(context, other.target, options.volumes) : null)
    context.store.deleteRepository(repository.name)
    rmSync(paths.repoDir, {recursive: true, force: true})
    const removeFiles = (stackPaths: StackPaths) => {
      rmSync(stackPaths.generatedDir, {recursive: true, force: true})
      rmSync(stackPaths.releasesDir, {recursive: true, force: true})
      const stackDirExists = existsSync(stackPaths.stackDir)
      if (options.purge) rmSync(stackPaths.stackDir, {recursive: true, force: true})
      return {keptStackDir: stackDirExists && !options.purge ? stackPaths.stackDir : null, purgedStackDir: stackDirExists && options.purge ? stackPaths.stackDir : null}
    }
    const result = {name: repository.name, removed: true as const, down, ...removeFiles(paths)}
    if (others.length === 0) return result
    return {...result, stacks: others.map((other, index) => ({stack: other.target.stack.name, down: downs[index] ?? null, ...removeFiles(other.paths)}))}
  })
}

/**
 * What a repository removed before left in the home (stack directories, kept releases), under its name
 * and, for its other stacks, `<name>+<stack>`; not_found when it left nothing.
 */
function leftovers(context: KedgeContext, input: string): {name: string; keys: string[]} {
  const name = input.trim().toLowerCase()
  const keys = new Set<string>()
  if (REPO_NAME_PATTERN.test(name)) {
    for (const dirOf of [context.home.stackDir, context.home.releasesDir]) {
      if (existsSync(dirOf(name))) keys.add(name)
      for (const entry of entriesOf(path.dirname(dirOf(name)))) {
        if (entry.startsWith(`${name}+`) && isStackName(entry.slice(name.length + 1))) keys.add(entry)
      }
    }
  }
  if (keys.size === 0) {
    throw new NotFoundError(`no repository named ${quoted(input)}, and no stack directory of one`, {hint: 'run "kedge repo list" to see the registered repositories'})
  }
  return {name, keys: [...keys].sort()}
}

/** The names in a directory of the home; none when it does not exist yet. */
function entriesOf(directory: string): string[] {
  return existsSync(directory) ? readdirSync(directory) : []
}

/**
 * `--purge` of a repository removed before without it: deletes what kedge left of it (the stack
 * directories of all its stacks, any kept releases). Refused while containers kedge started for it still
 * exist: they run from those directories, and with the registration gone kedge no longer knows their Compose files.
 */
async function purgeLeftovers(context: KedgeContext, input: string): Promise<RemoveRepositoryResult> {
  const {name, keys} = leftovers(context, input)
  const running = (await context.engine.listAllKedgeContainers()).filter((container) => container.labels[LABELS.repository] === name)
  if (running.length > 0) {
    throw new InvalidInputError(`containers kedge started for "${name}" still use its stack directories: ${running.map((container) => container.name).join(', ')}`, {
      code: 'stack_running',
      hint: `take them down first ("docker compose -p ${running[0]!.labels[LABELS.project] ?? name} down" in that directory), then purge again`,
    })
  }
  const down = {action: 'none' as const, reason: 'the repository was removed before'}
  const purge = (key: string) => {
    // Every path is checked to lie inside the home before anything is deleted.
    const stackDir = insideHome(context.home, context.home.stackDir(key))
    const releasesDir = insideHome(context.home, context.home.releasesDir(key))
    const stackDirExists = existsSync(stackDir)
    rmSync(stackDir, {recursive: true, force: true})
    rmSync(releasesDir, {recursive: true, force: true})
    return stackDirExists ? stackDir : null
  }
  const result = {name, removed: true as const, down, keptStackDir: null, purgedStackDir: keys.includes(name) ? purge(name) : null}
  const others = keys.filter((key) => key !== name)
  if (others.length === 0) return result
  return {...result, stacks: others.map((key) => ({stack: key.slice(name.length + 1), down, keptStackDir: null, purgedStackDir: purge(key)}))}
}

/** The stack taken down, as `kedge down` does (takeDownStack); or why there was nothing to take down. */
async function takeDownOrSay(context: KedgeContext, target: StackTarget | null, volumes: boolean): Promise<StackDown> {
  const down = target ? await takeDownStack(context, target, {volumes}) : null
  return down ?? {action: 'none', reason: 'kedge has not deployed this repository'}
}
