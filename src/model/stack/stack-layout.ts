import path from 'node:path'

import {byCodeUnits} from '../compose/text-order.js'
import type {KedgeConfig} from '../config/kedge-config.js'
import {MAX_STACKS, type StackEntry} from '../config/stack-entries.js'
import {clipped, InvalidConfigError, quoted} from '../errors.js'
import {isGlobSegment, matchesGlobSegment} from './path-glob.js'
import {defaultProjectName, isStackName, STACK_NAME_EXPECTED, stackProjectName} from './stack-names.js'
import {stackOrder} from './stack-order.js'

/**
 * A checkout's directories as the layout looks at them. Every directory is named relative to the
 * repository root, POSIX separators, '' for the root.
 */
export interface StackTree {
  /** The names of the real directories in `dir` (no symbolic links), in code-unit order; none when `dir` is not one. */
  subdirectories(dir: string): readonly string[]
  /** True when `dir` holds a compose file (compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml). */
  holdsComposeFile(dir: string): boolean
  /** True when `dir` holds a compose file or a kedge.yaml (which may name its compose files). */
  holdsStack(dir: string): boolean
}

export interface StackLayoutInput {
  repository: string
  /** kedge.yaml's directory relative to the repository root ('' for the root): `repo add --path`. */
  configDir: string
  /** The repository's kedge.yaml, read from `configDir`. */
  config: KedgeConfig
}

export interface StackSpec {
  /** How the command line names it: `<repository>/<name>`. */
  name: string
  /** Its directory, relative to the repository root, POSIX separators, '' for the root. */
  path: string
  /** The stacks deployed before it, by name, in code-unit order. */
  after: readonly string[]
  /** The repository's single stack in kedge.yaml's own directory, named and run as the repository is. */
  root: boolean
  /** Its Compose project name unless its own files name one. */
  defaultProject: string
}

/** Where a repository without `stacks:` holds its stacks when there is no compose file beside kedge.yaml. */
const APPS_DIRECTORY = 'apps'

/**
 * Calls of the tree one layout makes at most, listings and checks together: a commit whose globs would
 * walk a large tree is refused rather than walked (docs/hostile-commits.md).
 */
export const MAX_DIRECTORY_LOOKS = 2000

/**
 * The stacks of one commit's checkout, in deploy order. With `stacks:` in kedge.yaml, the directories it
 * lists; without, the single stack beside kedge.yaml when a compose file is there (or kedge.yaml names
 * one), else each directory of `apps/` that holds a stack. When there is none of these, the single stack
 * beside kedge.yaml, whose compose files are then reported missing as they always were. Throws an
 * InvalidConfigError naming the file and the field for anything it refuses.
 */
export function resolveStackLayout(input: StackLayoutInput, tree: StackTree): StackSpec[] {
  const layout = new Layout(input, tree)
  return input.config.stacks ? layout.listed(input.config.stacks) : layout.found()
}

interface Candidate {
  /** The entry's `name:`; the directory's name when it has none. */
  name?: string
  path: string
  after: string[]
  /** The index of the entry it came from in `stacks:`; -1 for a stack found under apps/. */
  entry: number
  literal: boolean
}

type Named = Candidate & {name: string}

class Layout {
  private looks = 0
  private readonly file: string
  /** kedge.yaml's directory as the tree names directories: '' for the root, however `--path` stored it ('' or '.'). */
  private readonly configDir: string

  constructor(
    private readonly input: StackLayoutInput,
    private readonly tree: StackTree,
  ) {
    this.configDir = input.configDir.split('/').filter((segment) => segment !== '' && segment !== '.').join('/')
    this.file = input.config.file ?? path.posix.join(this.configDir, 'kedge.yaml')
  }

  found(): StackSpec[] {
    const {config} = this.input
    const {configDir} = this
    if (config.composeFiles !== undefined || this.tree.holdsComposeFile(configDir)) return [this.rootStack()]
    const apps = path.posix.join(configDir, APPS_DIRECTORY)
    const found = this.tree
      .subdirectories(apps)
      .filter((name) => !name.startsWith('.'))
      .map((name) => path.posix.join(apps, name))
      .filter((dir) => this.holdsStack(dir, () => this.refuse(undefined, `${quoted(apps)} holds more directories than kedge looks at (${MAX_DIRECTORY_LOOKS})`, 'list the stacks under stacks:')))
    if (found.length === 0) return [this.rootStack()]
    if (found.length > MAX_STACKS) this.refuse(undefined, `${quoted(apps)} holds more than ${MAX_STACKS} stacks, the most one repository holds`, 'split the stacks among repositories')
    this.refuseRepositoryProject()
    return this.ordered(found.map((dir): Candidate => ({path: dir, after: [], entry: -1, literal: false})))
  }

  listed(entries: readonly StackEntry[]): StackSpec[] {
    this.refuseRepositoryProject()
    if (this.input.config.composeFiles !== undefined) {
      this.refuse('docker.compose_file', 'names the compose files of a repository without stacks', "name each stack's compose files in its own kedge.yaml")
    }
    const byPath = new Map<string, Candidate>()
    entries.forEach((entry, index) => {
      const {dirs, glob} = this.directoriesOf(entry, index)
      for (const dir of dirs) {
        const known = byPath.get(dir)
        if (known?.literal && !glob) {
          this.refuse(`stacks.${index}`, `${quoted(dir)} is listed twice, also as stacks.${known.entry}`, 'list each directory once')
        }
        if (known && (known.literal || glob)) {
          // A glob matching a directory listed on its own leaves it the listed entry's options; two globs' stack waits for what both name.
          if (!known.literal) known.after.push(...entry.after)
          continue
        }
        byPath.set(dir, {name: entry.name, path: dir, after: [...entry.after], entry: index, literal: !glob})
        if (byPath.size > MAX_STACKS) this.refuse('stacks', `lists more than ${MAX_STACKS} stacks, the most one repository holds`, 'split the stacks among repositories')
      }
    })
    return this.ordered([...byPath.values()])
  }

  private rootStack(): StackSpec {
    const {repository, configDir} = this.input
    return {name: repository, path: configDir, after: [], root: true, defaultProject: defaultProjectName(repository)}
  }

  /** A repository with several stacks has no project of its own: each stack's kedge.yaml names its own. */
  private refuseRepositoryProject(): void {
    if (this.input.config.projectName !== undefined) {
      this.refuse('docker.project_name', 'names the project of a repository without stacks', "set it in a stack's own kedge.yaml, for that stack")
    }
  }

  /** The stack directories an entry names: itself, or what its glob matches that holds a stack. */
  private directoriesOf(entry: StackEntry, index: number): {dirs: string[]; glob: boolean} {
    const field = `stacks.${index}`
    const segments = this.segmentsOf(entry.path, field)
    const glob = segments.some(isGlobSegment)
    const shown = quoted(entry.path)
    if (segments.join('/') === this.configDir) {
      this.refuse(field, `${shown} is kedge.yaml's own directory`, 'list the directories of the stacks, each with its compose file')
    }
    if (!glob) {
      const dir = segments.join('/')
      if (!this.holdsStack(dir, () => this.tooManyLooks(field, shown))) {
        this.refuse(field, `${shown} is not a directory holding a compose file or a kedge.yaml`, "check the path: it is relative to kedge.yaml's directory")
      }
      return {dirs: [dir], glob}
    }
    if (entry.name !== undefined) this.refuse(`${field}.name`, `names one directory, and ${shown} is a glob`, 'list the directory on its own to give it a name')
    if (segments.some((segment) => segment.includes('**'))) this.refuse(field, `${shown}: "**" is not supported`, 'a glob matches within one directory: use "*" for each level')
    const dirs = this.expand(segments, field, shown).filter((dir) => dir !== this.configDir && this.holdsStack(dir, () => this.tooManyLooks(field, shown)))
    if (dirs.length === 0) this.refuse(field, `${shown} matches no directory holding a compose file or a kedge.yaml`, "check the pattern: it is relative to kedge.yaml's directory, and hidden directories never match")
    return {dirs, glob}
  }

  /** The path's segments from the repository root; refused when it leaves the repository. */
  private segmentsOf(written: string, field: string): string[] {
    const outside = () => this.refuse(field, `${quoted(written)} is outside the repository`, "a stack's directory is relative to kedge.yaml's directory, inside the repository")
    if (path.posix.isAbsolute(written)) outside()
    const segments = this.configDir.split('/').filter(Boolean)
    for (const segment of written.split('/')) {
      if (segment === '' || segment === '.') continue
      if (segment !== '..') segments.push(segment)
      else if (segments.pop() === undefined) outside()
    }
    return segments
  }

  /** The directories a glob's segments reach, one level at a time, hidden ones never matched. */
  private expand(segments: readonly string[], field: string, shown: string): string[] {
    let reached = ['']
    for (const segment of segments) {
      if (!isGlobSegment(segment)) {
        reached = reached.map((dir) => path.posix.join(dir, segment))
        continue
      }
      const next: string[] = []
      for (const dir of reached) {
        if (++this.looks > MAX_DIRECTORY_LOOKS) this.tooManyLooks(field, shown)
        for (const name of this.tree.subdirectories(dir)) {
          if (name.startsWith('.') || !matchesGlobSegment(segment, name)) continue
          next.push(path.posix.join(dir, name))
          if (next.length > MAX_DIRECTORY_LOOKS) this.tooManyLooks(field, shown)
        }
      }
      reached = next
    }
    return reached
  }

  private holdsStack(dir: string, tooMany: () => never): boolean {
    if (++this.looks > MAX_DIRECTORY_LOOKS) tooMany()
    return this.tree.holdsStack(dir)
  }

  private tooManyLooks(field: string, shown: string): never {
    return this.refuse(field, `${shown} reaches more directories than kedge looks at (${MAX_DIRECTORY_LOOKS})`, 'name the directories of the stacks more narrowly')
  }

  /** A stack named after its directory: the directory's name, the repository's for the repository root. */
  private directoryName(dir: string, entry: number): string {
    const name = dir === '' ? this.input.repository : path.posix.basename(dir)
    if (isStackName(name)) return name
    if (entry === -1) {
      throw new InvalidConfigError(dir, undefined, `a stack found under ${APPS_DIRECTORY}/ whose directory's name is not a stack name: ${STACK_NAME_EXPECTED}`, {
        hint: 'rename the directory, or list the stacks under stacks: in kedge.yaml, this one with a name:',
      })
    }
    return this.refuse(`stacks.${entry}`, `${quoted(dir)} has a name that is not a stack name: ${STACK_NAME_EXPECTED}`, 'give the stack a name with name:, or rename the directory')
  }

  private ordered(found: readonly Candidate[]): StackSpec[] {
    const candidates = found.map((candidate): Named => ({...candidate, name: candidate.name ?? this.directoryName(candidate.path, candidate.entry)}))
    this.refuseSharedNames(candidates)
    const byName = new Map(candidates.map((candidate) => [candidate.name, candidate]))
    const specs = candidates.map((candidate): StackSpec => {
      const after = [...new Set(candidate.after)].sort(byCodeUnits)
      for (const name of after) {
        const field = `stacks.${candidate.entry}.after`
        if (name === candidate.name) this.refuse(field, `stack ${quoted(name)} lists itself`, 'a stack comes after other stacks only; list it on its own to give it its own after')
        if (!byName.has(name)) this.refuse(field, `no stack is named ${quoted(name)} (stacks: ${clipped([...byName.keys()].sort(byCodeUnits).join(', '))})`, 'name a stack of this repository')
      }
      return {name: candidate.name, path: candidate.path, after, root: false, defaultProject: stackProjectName(this.input.repository, candidate.name)}
    })
    const order = stackOrder(specs)
    if ('cycle' in order) this.refuse('stacks', `the stacks wait for each other in a cycle: ${order.cycle.join(' -> ')}`, 'remove one of these names from the after of the stack before it')
    return order.ordered
  }

  /** Two stacks may share neither a name nor the project name made from it. */
  private refuseSharedNames(candidates: readonly Named[]): void {
    const byName = new Map<string, Named>()
    const byProject = new Map<string, Named>()
    for (const candidate of [...candidates].sort((a, b) => a.entry - b.entry || byCodeUnits(a.path, b.path))) {
      const field = candidate.entry === -1 ? undefined : `stacks.${candidate.entry}`
      const sameName = byName.get(candidate.name)
      if (sameName) {
        this.refuse(field, `two stacks are named ${quoted(candidate.name)}: ${quoted(sameName.path)} and ${quoted(candidate.path)}`, 'give one of them another name with name:')
      }
      const project = stackProjectName(this.input.repository, candidate.name)
      const sameProject = byProject.get(project)
      if (sameProject) {
        this.refuse(field, `stacks ${quoted(sameProject.name)} and ${quoted(candidate.name)} would share the Compose project ${quoted(project)}`, 'give one of them another name with name:')
      }
      byName.set(candidate.name, candidate)
      byProject.set(project, candidate)
    }
  }

  private refuse(field: string | undefined, detail: string, hint: string): never {
    throw new InvalidConfigError(this.file, field, detail, {hint})
  }
}
