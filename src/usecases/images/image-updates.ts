import {asKedgeError, errorMessage, type KedgeError} from '../../model/errors.js'
import {followedImages, imageUpdates, parsePendingImages, pulledDigest, type ImageUpdate} from '../../model/images/image-updates.js'
import {parseReason, type DeployReason} from '../../model/repository/deploy-reason.js'
import type {DeploymentRow, StackTarget} from '../../model/rows.js'
import {snapshotConfig} from '../../model/stack/snapshot-config.js'
import type {StackSnapshot} from '../../model/stack/stack-snapshot.js'
import {parseSnapshot} from '../../model/stack/stored-snapshot.js'
import type {ImageDetails} from '../../ports/engine.js'
import type {KedgeContext} from '../context.js'
import {runAttempt, type DeployOutcome} from '../deploying/attempt.js'
import {composeProjectOf} from '../deploying/compose-project.js'
import {failedAttempt} from '../deploying/host-failure.js'
import {waitForServices} from '../deploying/health-gate.js'
import {upWithSecrets} from '../deploying/secrets-up.js'
import {onStackEngine} from '../engines/stack-engine.js'
import {stackPathsOf} from '../repositories/stack-paths.js'
import {stackLabel} from '../stacks/stacks.js'

/** What a check of a stack's images found, and did. */
export type ImageCheck =
  /** The stack runs nothing kedge deployed, or its kedge.yaml does not ask for image updates, or it is held. */
  | {kind: 'off'}
  | {kind: 'current'}
  /** notify and manual: recorded on the stack for status, diff and the dashboard; nothing pulled. */
  | {kind: 'pending'; updates: ImageUpdate[]}
  /** Pulled, and the tags name the images they named: nothing to recreate. */
  | {kind: 'unchanged'; updates: ImageUpdate[]}
  /** The same new digests failed before: not tried again until the registry moves the tag again. */
  | {kind: 'already-failed'; updates: ImageUpdate[]}
  | {kind: 'deployed'; updates: ImageUpdate[]; outcome: DeployOutcome}
  /** A registry did not answer, or refused; the others' answers are used. */
  | {kind: 'failed'; error: KedgeError}

export interface ImageCheckOptions {
  /** Apply what is found whatever the mode (`kedge sync`); otherwise auto applies, notify and manual record. */
  apply?: boolean
  signal?: AbortSignal
}

/**
 * Asks the registries for the digest each mutable tag of the stack's last good deployment names now (a
 * HEAD request each: no pull), and compares it with the digest the engine's image was pulled by. A tag
 * the registry moved is, by the mode, applied (see applyImageUpdates) or recorded as pending.
 */
export async function checkImageUpdates(context: KedgeContext, target: StackTarget, options: ImageCheckOptions = {}): Promise<ImageCheck> {
  const {store} = context
  const lastGood = store.lastGoodDeployment(target.stack.id)
  const snapshot = parseSnapshot(lastGood?.snapshot ?? null)
  if (!lastGood || !snapshot || snapshot.target === 'swarm' || target.stack.hold) return {kind: 'off'}
  const config = snapshotConfig(snapshot)
  if (!config.imageUpdates) {
    if (target.stack.pendingImages) store.updateStack(target.stack.id, {pendingImages: null})
    return {kind: 'off'}
  }
  context = await onStackEngine(context, target)
  const {updates, error: failure} = await findImageUpdates(context, snapshot, options.signal)
  store.updateStack(target.stack.id, {imagesCheckedAt: context.clock.now(), ...(updates.length === 0 ? {pendingImages: null} : {})})
  if (updates.length === 0) return failure ? {kind: 'failed', error: failure} : {kind: 'current'}
  if (!options.apply && config.mode !== 'auto') {
    store.updateStack(target.stack.id, {pendingImages: JSON.stringify(updates)})
    // Every check that finds them says so; the notifier tells of each new digest once.
    context.announcer.announce({kind: 'images_pending', target, updates, mode: config.mode})
    return {kind: 'pending', updates}
  }
  if (!options.apply && failedBefore(context, target, lastGood, updates)) return {kind: 'already-failed', updates}
  return applyImageUpdates(context, target, lastGood, snapshot, updates, options.signal)
}

/**
 * The followed tags of `snapshot` whose registry names another image than the engine's: asks each
 * registry (a HEAD request a tag), changes nothing. A registry that fails is the `error`; the others'
 * answers still count. `context` is the stack's engine's (see onStackEngine).
 */
export async function findImageUpdates(context: KedgeContext, snapshot: StackSnapshot, signal?: AbortSignal): Promise<{updates: ImageUpdate[]; error: KedgeError | null}> {
  const followed = followedImages(snapshot)
  const images = [...followed.keys()]
  const current = new Map<string, string | null>()
  let error: KedgeError | null = null
  for (const image of images) {
    try {
      current.set(image, await context.registries.currentDigest(image, {signal}))
    } catch (caught) {
      signal?.throwIfAborted()
      error ??= asKedgeError(caught, 'registry_failed')
    }
  }
  const pulled = new Map([...(await context.engine.imageDetails(images))].map(([image, details]) => [image, details.repoDigests]))
  return {updates: imageUpdates(followed, current, pulled), error}
}

/** Whether the stack's newest attempt is an image update to these same digests that failed: the registry has not moved since. */
function failedBefore(context: KedgeContext, target: StackTarget, lastGood: DeploymentRow, updates: readonly ImageUpdate[]): boolean {
  const newest = context.store.newestAttempt(target.stack.id)
  if (!newest || newest.id <= lastGood.id || newest.trigger !== 'image' || newest.status !== 'failed' || newest.interrupted) return false
  const tried = new Set((parseReason(newest.reason)?.images ?? []).map((entry) => `${entry.image}@${entry.to}`))
  return updates.every((update) => tried.has(`${update.image}@${update.to}`))
}

/**
 * Pulls the new images (nothing on the host changes yet, and a pull that fails is the check's failure,
 * with no deployment), then recreates only the services whose tag now names another image, and gates
 * them as a deploy is gated. The previous image is held by a tag of kedge's until the new one is healthy;
 * should it not be, the tags are moved back to the previous images (by their ids) and the services
 * recreated on them. Recorded as a deployment with trigger `image` and both digests of each tag.
 */
export async function applyImageUpdates(
  context: KedgeContext,
  target: StackTarget,
  lastGood: DeploymentRow,
  snapshot: StackSnapshot,
  updates: ImageUpdate[],
  signal?: AbortSignal,
): Promise<ImageCheck> {
  const {engine, store} = context
  const config = snapshotConfig(snapshot)
  const paths = stackPathsOf(context, target)
  const project = composeProjectOf(paths, snapshot)
  const say = (what: string) => context.progress.step(`${stackLabel(target)}: ${what}`)
  const images = updates.map((update) => update.image)
  const before = await engine.imageDetails(images)
  // Held before the pull moves the tags: until the outcome is recorded, nothing (an image prune) removes them.
  const held = await holdPrevious(context, snapshot.project, updates, before)
  say(`pulling ${images.join(', ')}: the registry has new images behind these tags`)
  try {
    await context.compose.pull(project, [...new Set(updates.flatMap((update) => update.services))], {signal})
  } catch (error) {
    await releaseHeld(context, held)
    signal?.throwIfAborted()
    return {kind: 'failed', error: asKedgeError(error, 'registry_failed')}
  }
  const after = await engine.imageDetails(images)
  const moved = updates.filter((update) => after.get(update.image)?.id !== before.get(update.image)?.id)
  store.updateStack(target.stack.id, {pendingImages: null})
  if (moved.length === 0) {
    await releaseHeld(context, held)
    return {kind: 'unchanged', updates}
  }
  const services = [...new Set(moved.flatMap((update) => update.services))]
  const reason: DeployReason = {
    source: 'image',
    services: services.map((service) => ({service, action: 'recreate'})),
    images: moved.map((update) => ({image: update.image, from: update.from, to: pulledDigest(update.image, after.get(update.image)?.repoDigests ?? []) ?? update.to, services: update.services})),
  }
  const recreate = async () => {
    if (config.secrets.length > 0) await upWithSecrets(context, paths, target.repository, snapshot, config.secrets, services, signal, {forceRecreate: true})
    else await context.compose.up(project, {services, forceRecreate: true, signal})
    await waitForServices(context, target.repository.name, snapshot.project, snapshot.services, config.healthTimeoutMs, signal)
  }
  let touchedHost = false
  const attempt = await runAttempt(context, target, {commit: lastGood.commit, trigger: 'image', previousCommit: lastGood.commit}, {
    work: async () => {
      touchedHost = true
      say(`recreating ${services.join(', ')} on the new images`)
      await recreate()
      return {outcome: {status: 'success', snapshot: lastGood.snapshot, project: snapshot.project, reason: JSON.stringify(reason), hooks: null}, stackChanges: {lastError: null, lastErrorAt: null, pendingImages: null}}
    },
    failed: async (caught, engineLossesBefore) => {
      const error = asKedgeError(caught, 'deploy_failed')
      let note: string | null = null
      // Whoever is to blame, the previous images are put back: the stack ran on them before.
      if (touchedHost && !signal?.aborted) {
        say(`the new images failed (${error.message.split('\n')[0]}): back to the previous ones`)
        note = await restorePrevious(context, moved, before, recreate)
      }
      // One the host cut short is tried again at the next check, rather than held against these digests (see failedBefore).
      const recorded = await failedAttempt(context, error, note, engineLossesBefore, signal)
      return {error, outcome: {...recorded, snapshot: lastGood.snapshot, project: snapshot.project, leftFailed: false, reason: JSON.stringify(reason), hooks: null}}
    },
  })
  await releaseHeld(context, held)
  return {kind: 'deployed', updates: moved, outcome: {...attempt, changes: services.map((service) => ({service, action: 'recreate', from: null, to: null}))}}
}

/** A tag of kedge's on each previous image, so that nothing (an image prune) removes it while the new one is on trial. */
async function holdPrevious(context: KedgeContext, project: string, updates: readonly ImageUpdate[], before: ReadonlyMap<string, ImageDetails>): Promise<string[]> {
  const held: string[] = []
  for (const [index, update] of updates.entries()) {
    const previous = before.get(update.image)
    if (!previous) continue
    const hold = `kedge-previous/${project}:${index}`
    await context.engine.tagImage(previous.id, hold)
    held.push(hold)
  }
  return held
}

/** Once the outcome is recorded: the previous images are Docker's to keep or prune again. A failure to untag is logged by nobody's loss: the tag stays. */
async function releaseHeld(context: KedgeContext, held: readonly string[]): Promise<void> {
  for (const hold of held) await context.engine.removeImage(hold).catch(() => false)
}

/** Moves each tag back to the image it named before the pull, and recreates the services on them; says how that went, for the row's note. */
async function restorePrevious(context: KedgeContext, moved: readonly ImageUpdate[], before: ReadonlyMap<string, ImageDetails>, recreate: () => Promise<void>): Promise<string> {
  const restored: string[] = []
  try {
    for (const update of moved) {
      const previous = before.get(update.image)
      if (!previous) continue
      await context.engine.tagImage(previous.id, update.image)
      restored.push(`${update.image} (${(update.from ?? previous.id).replace(/^sha256:/, '').slice(0, 12)})`)
    }
    await recreate()
    return `rolled back to the previous image of ${restored.join(', ')}`
  } catch (error) {
    return `rolling back to the previous images failed: ${errorMessage(error)}`
  }
}

/** The stack row's pending images, for status, diff and the dashboard. */
export function pendingImagesOf(stack: {pendingImages: string | null}): ImageUpdate[] {
  return parsePendingImages(stack.pendingImages)
}
