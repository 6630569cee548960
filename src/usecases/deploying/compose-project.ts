import path from 'node:path'

import type {ComposeProject} from '../../model/compose/compose-invocation.js'
import {snapshotConfig} from '../../model/stack/snapshot-config.js'
import type {StackSnapshot} from '../../model/stack/stack-snapshot.js'
import type {StackPaths} from '../repositories/stack-paths.js'

/** The stack as Compose runs it: from the stack directory, with kedge's override file last. */
export function composeProjectOf(paths: StackPaths, snapshot: StackSnapshot): ComposeProject {
  return {
    name: snapshot.project,
    files: [...snapshot.composeFiles.map((file) => file.path), paths.overrideFile],
    directory: path.join(paths.stackDir, snapshot.stackPath),
    profiles: snapshotConfig(snapshot).profiles,
    environment: paths.localEnvironment(),
  }
}

/** The commit's stack as the clone holds it, without kedge's override file: what is read before the stack directory changes. */
export function cloneProjectOf(paths: StackPaths, snapshot: StackSnapshot): ComposeProject {
  return {
    name: snapshot.project,
    files: snapshot.composeFiles.map((file) => file.path),
    directory: path.join(paths.repoDir, snapshot.stackPath),
    profiles: snapshotConfig(snapshot).profiles,
    environment: paths.localEnvironment(),
  }
}
