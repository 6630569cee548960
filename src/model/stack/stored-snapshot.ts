import path from 'node:path'

import {isBuiltImageTag} from '../compose/build-spec.js'
import {quoted} from '../errors.js'
import {corruptRow, isContainedPath} from '../repository/row-checks.js'
import type {StackSnapshot} from './stack-snapshot.js'

/**
 * A snapshot read back from the database, checked before a rollback writes its files or anything runs
 * from it: its commit an id, its project a name, every file it names (compose files, kedge.yaml, the
 * placed paths) inside the repository and outside .git, and the tag of each service kedge builds one
 * it derives, the service's image.
 */
export function checkSnapshot(snapshot: StackSnapshot, deploymentId: number | null): StackSnapshot {
  const bad = (detail: string) => corruptRow('deployments', deploymentId, 'snapshot', detail)
  if (typeof snapshot.commit !== 'string' || !/^[0-9a-f]{4,64}$/.test(snapshot.commit)) throw bad(`commit ${quoted(String(snapshot.commit))} is not a commit id`)
  if (typeof snapshot.project !== 'string' || !/^[a-z0-9][a-z0-9_-]*$/.test(snapshot.project)) throw bad(`project ${quoted(String(snapshot.project))} is not a Compose project name`)
  if (!isContainedPath(snapshot.stackPath)) throw bad(`stackPath ${quoted(String(snapshot.stackPath))} leaves the repository`)
  if (!Array.isArray(snapshot.composeFiles) || !Array.isArray(snapshot.services)) throw bad('composeFiles and services must be lists')
  if (snapshot.target !== undefined && snapshot.target !== 'swarm') throw bad(`target ${quoted(String(snapshot.target))} is not one kedge writes`)
  for (const file of snapshot.composeFiles) {
    // Compose files are named relative to the stack directory, and may reach up to the repository root, not beyond.
    const fromRoot = typeof file?.path === 'string' && !path.posix.isAbsolute(file.path) ? path.posix.join(snapshot.stackPath, file.path) : null
    if (!isContainedPath(fromRoot) || typeof file.content !== 'string') throw bad(`compose file ${quoted(String(file?.path))} leaves the repository`)
  }
  if (snapshot.kedgeConfig !== null && (!isContainedPath(snapshot.kedgeConfig?.path) || typeof snapshot.kedgeConfig.content !== 'string')) {
    throw bad(`kedge.yaml path ${quoted(String(snapshot.kedgeConfig?.path))} leaves the repository`)
  }
  if (snapshot.placedPaths !== undefined) {
    if (!Array.isArray(snapshot.placedPaths)) throw bad('placedPaths must be a list')
    const outside = snapshot.placedPaths.find((entry) => !isContainedPath(entry))
    if (outside !== undefined) throw bad(`placed path ${quoted(String(outside))} leaves the repository`)
  }
  for (const service of snapshot.services) {
    if (service?.build === undefined) continue
    const tag = service.build?.tag
    if (!isBuiltImageTag(tag) || service.image !== tag) throw bad(`service ${quoted(String(service.name))}: build tag ${quoted(String(tag))} is not one kedge derives`)
  }
  return snapshot
}

/**
 * A deployment's snapshot as the database holds it; null when there is none or it is of another version.
 * What is not a snapshot kedge wrote (not JSON, a path that leaves the repository) is corrupt_row.
 */
export function parseSnapshot(text: string | null, deploymentId: number | null = null): StackSnapshot | null {
  if (!text) return null
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw corruptRow('deployments', deploymentId, 'snapshot', 'not JSON')
  }
  if (typeof parsed !== 'object' || parsed === null || (parsed as {version?: unknown}).version !== 1) return null
  return checkSnapshot(parsed as StackSnapshot, deploymentId)
}
