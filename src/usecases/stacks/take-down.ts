import {existsSync} from 'node:fs'
import path from 'node:path'

import {LABELS} from '../../model/compose/labels.js'
import type {StackTarget} from '../../model/rows.js'
import {isRootStack} from '../../model/stack/stack-names.js'
import {parseSnapshot} from '../../model/stack/stored-snapshot.js'
import type {KedgeContext} from '../context.js'
import {composeProjectOf} from '../deploying/compose-project.js'
import {stackPathsOf} from '../repositories/stack-paths.js'
import {onStackEngine} from '../engines/stack-engine.js'
import type {StackTakenDown} from './taken-down.js'
import {takeDownSwarmStack} from '../swarm/swarm-take-down.js'
import {isSwarmSnapshot} from '../swarm/swarm-stack.js'


/**
 * Stops and removes the containers kedge labelled for the repository in the stack's project, itself:
 * `compose down` would also remove one-off `compose run` containers (Compose v1 always, v2 with
 * --remove-orphans), which are the operator's. Then, when nothing else is left in the project, `compose
 * down` removes its networks (and with `volumes` its named volumes). The stack directory stays: it
 * holds what the containers wrote through bind mounts. null when kedge has put nothing of the stack on
 * the host.
 */
export async function takeDownStack(context: KedgeContext, target: StackTarget, options: {volumes: boolean}): Promise<StackTakenDown | null> {
  const {repository, stack} = target
  const applied = context.store.lastAppliedDeployment(stack.id)
  const snapshot = parseSnapshot(applied?.snapshot ?? null, applied?.id ?? null)
  if (!snapshot) return null
  context = await onStackEngine(context, target)
  if (isSwarmSnapshot(snapshot)) return takeDownSwarmStack(context, target, snapshot, options)
  const project = snapshot.project
  // Only this stack's: a container of the repository's other stack in the same project (one that took over
  // its project) carries that stack's name; a root stack's containers carry none.
  const ownStack = isRootStack(target) ? undefined : stack.name
  const labelled = (await context.engine.listKedgeContainers(project)).filter(
    (container) => container.labels[LABELS.repository] === repository.name && container.labels[LABELS.stack] === ownStack,
  )
  await Promise.all(labelled.map((container) => context.engine.stopAndRemoveContainer(container.id)))
  const leftAlone = (await context.engine.listComposeProjectContainers(project)).map((container) => container.name)
  const compose = composeProjectOf(stackPathsOf(context, target), snapshot)
  // A deploy that failed before it placed the files (an image it could not pull) left nothing on the host.
  const filesPresent = compose.files.every((file) => existsSync(path.resolve(compose.directory, file)))
  if (labelled.length === 0 && !filesPresent) return null
  const runDown = filesPresent && leftAlone.length === 0
  if (runDown) await context.compose.down(compose, {volumes: options.volumes})
  return {
    action: 'removed',
    project,
    containers: labelled.map((container) => container.name),
    networksRemoved: runDown,
    volumesRemoved: runDown && options.volumes,
    leftAlone,
  }
}

export type {StackTakenDown} from './taken-down.js'

/** What taking a stack down did; `none` when kedge never put anything of it on the host. */
export type StackDown = StackTakenDown | {action: 'none'; reason: string}
