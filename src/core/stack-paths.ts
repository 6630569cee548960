import path from 'node:path'

import type {KedgeContext} from './context.js'
import {localEnvironmentOnce, type LocalEnvironment} from './local-env.js'

/** Where a repository's files live in the kedge home, and its local env file. */
export interface StackPaths {
  repoDir: string
  stackDir: string
  indexFile: string
  overrideFile: string
  /** The repository's local env file, opened on first use and then kept for this deploy. */
  localEnvironment: () => LocalEnvironment
}

export function stackPaths(context: KedgeContext, repository: string): StackPaths {
  const generated = context.home.generatedDir(repository)
  return {
    repoDir: context.home.repoDir(repository),
    stackDir: context.home.stackDir(repository),
    indexFile: path.join(generated, 'stack.index'),
    overrideFile: path.join(generated, 'compose.override.yaml'),
    localEnvironment: localEnvironmentOnce(context, repository),
  }
}
