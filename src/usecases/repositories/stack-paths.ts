import path from 'node:path'

import {InvalidStateError, quoted} from '../../model/errors.js'
import type {KedgeHome} from '../../model/home.js'
import type {StackTarget} from '../../model/rows.js'
import {isRootStack, isStackName} from '../../model/stack/stack-names.js'
import type {KedgeContext} from '../context.js'
import {localEnvironmentOnce, type LocalEnvironment} from './local-env.js'
import {checkRepositoryName} from '../../model/repository/row-checks.js'

/** Where a repository's files live in the kedge home, and its local env file. */
export interface StackPaths {
  repoDir: string
  stackDir: string
  /** Files kedge generates for the repository (the override file, the stack index, scratch space). */
  generatedDir: string
  /** The kept trees of its last deployed commits. */
  releasesDir: string
  indexFile: string
  overrideFile: string
  /** The repository's local env file, opened on first use and then kept for this deploy. */
  localEnvironment: () => LocalEnvironment
}

/**
 * The repository's directories in the home. The name comes from the database: one `repo add` would not
 * take (corrupt_row) never becomes a path, and every path is checked to lie inside the home before
 * anything deletes, clones or writes there.
 */
export function stackPaths(context: KedgeContext, repository: string): StackPaths {
  const {home} = context
  checkRepositoryName(repository)
  const generated = insideHome(home, home.generatedDir(repository))
  return {
    repoDir: insideHome(home, home.repoDir(repository)),
    stackDir: insideHome(home, home.stackDir(repository)),
    generatedDir: generated,
    releasesDir: insideHome(home, home.releasesDir(repository)),
    indexFile: path.join(generated, 'stack.index'),
    overrideFile: path.join(generated, 'compose.override.yaml'),
    localEnvironment: localEnvironmentOnce(context, repository),
  }
}

/** `candidate` resolved, when it lies strictly inside the home; outside_home otherwise, before anything touches it. */
export function insideHome(home: Pick<KedgeHome, 'root'>, candidate: string): string {
  return insideDirectory(home.root, candidate, 'the kedge home')
}

/** `candidate` resolved, when it lies strictly inside `root` (not `root` itself); outside_home otherwise. */
export function insideDirectory(root: string, candidate: string, what = quoted(root)): string {
  const resolved = path.resolve(root, candidate)
  const relative = path.relative(path.resolve(root), resolved)
  if (relative === '' || relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) {
    throw new InvalidStateError(`refusing to touch ${quoted(resolved)}: it is not inside ${what}`, {
      code: 'outside_home',
      hint: 'a value in kedge.db names a path outside the home; correct it, or remove the repository and add it again',
    })
  }
  return resolved
}

/**
 * Where a stack's files live: a repository's root stack in the repository's own directories, as ever;
 * one of several stacks in directories of its own, named `<repository>+<stack>` ("+" is in neither name),
 * beside the one clone of the repository.
 */
export function stackPathsOf(context: KedgeContext, {repository, stack}: StackTarget): StackPaths {
  const paths = stackPaths(context, repository.name)
  if (isRootStack({repository, stack})) return paths
  if (!isStackName(stack.name)) throw new InvalidStateError(`refusing to use the stack name ${quoted(String(stack.name))} as a directory`, {code: 'corrupt_row'})
  const {home} = context
  const key = `${repository.name}+${stack.name}`
  const generated = insideHome(home, home.generatedDir(key))
  return {
    ...paths,
    stackDir: insideHome(home, home.stackDir(key)),
    generatedDir: generated,
    releasesDir: insideHome(home, home.releasesDir(key)),
    indexFile: path.join(generated, 'stack.index'),
    overrideFile: path.join(generated, 'compose.override.yaml'),
  }
}
