import type {DeploymentView, HoldView, RepositoryStatus, ServiceChange} from '../api/types.js'
import {plural, shortSha} from '../format.js'

/** What an admin may ask of a stack; `heal` is offered for drift that the mode leaves alone, and deploys nothing new. */
export type StackAction =
  | {kind: 'sync'}
  | {kind: 'heal'}
  | {kind: 'suspend'}
  | {kind: 'resume'}
  | {kind: 'down'}
  | {kind: 'up'}
  | {kind: 'rollback'; commit: string}

/** The API route each action posts to, under the stack's path. */
export function routeOf(action: StackAction): string {
  return action.kind
}

export function bodyOf(action: StackAction): object {
  return action.kind === 'rollback' ? {commit: action.commit} : {}
}

export function buttonLabel(action: StackAction): string {
  switch (action.kind) {
    case 'sync':
      return 'Sync now'
    case 'heal':
      return 'Heal'
    case 'suspend':
      return 'Suspend'
    case 'resume':
      return 'Resume'
    case 'down':
      return 'Take down'
    case 'up':
      return 'Bring up'
    case 'rollback':
      return `Roll back to ${shortSha(action.commit)}`
  }
}

/** The buttons the stack's state calls for, besides each history row's rollback. */
export function actionsFor(status: RepositoryStatus): StackAction[] {
  const actions: StackAction[] = [{kind: 'sync'}]
  if (status.drift.entries.length > 0 && (status.mode === 'notify' || status.mode === 'manual')) actions.push({kind: 'heal'})
  const hold = status.hold?.kind ?? null
  if (hold === null) actions.push({kind: 'suspend'}, {kind: 'down'})
  if (hold === 'suspended') actions.push({kind: 'resume'}, {kind: 'down'})
  if (hold === 'down') actions.push({kind: 'up'})
  return actions
}

export interface Confirmation {
  title: string
  /** What will happen, in full, before anyone confirms. */
  consequence: string
}

export function confirmationOf(action: StackAction, status: RepositoryStatus): Confirmation {
  const address = status.address
  const head = status.head ? shortSha(status.head.commit) : null
  const deployed = status.deployed ? shortSha(status.deployed.commit) : null
  switch (action.kind) {
    case 'sync':
      return {
        title: `Sync ${address} now?`,
        consequence:
          `kedge fetches the branch ${status.branch} and deploys its head to ${address} now, whatever the mode (${status.mode}). ` +
          'Services whose configuration changed are recreated, and drift is healed.' +
          (status.pinned ? ` This ends the pin to ${shortSha(status.pinned.commit)}.` : ''),
      }
    case 'heal':
      return {
        title: `Heal ${address}?`,
        consequence:
          `kedge puts back what drifted in ${address} (${plural(status.drift.entries.length, 'item')}): containers missing, stopped or changed are started or recreated as the deployed commit ${deployed ?? ''} wants them.` +
          (head && head !== deployed ? ` The branch head ${head} is not deployed: it still waits for a sync.` : ''),
      }
    case 'suspend':
      return {
        title: `Suspend ${address}?`,
        consequence: `kedge stops deploying and healing ${address}. Its containers keep running as they are; new commits and drift wait until you resume it.`,
      }
    case 'resume':
      return {
        title: `Resume ${address}?`,
        consequence: `kedge acts on ${address} again: its next round deploys the branch head if it moved on and heals drift, as the ${status.mode} mode says. Resuming deploys nothing by itself.`,
      }
    case 'down':
      return {
        title: `Take down ${address}?`,
        consequence: `kedge stops and removes the containers of ${address} and keeps it down: no deploy and no heal until you bring it up. Named volumes stay.`,
      }
    case 'up':
      return {
        title: `Bring up ${address}?`,
        consequence: `kedge ends the hold on ${address} and deploys the head of ${status.branch}${head ? ` (${head})` : ''} now, as Sync now does.`,
      }
    case 'rollback':
      return {
        title: `Roll back ${address} to ${shortSha(action.commit)}?`,
        consequence:
          `kedge deploys ${shortSha(action.commit)} again${deployed ? ` in place of ${deployed}` : ''}, from what it kept of that deployment, and keeps it there: ` +
          `the branch head is not deployed again until a new commit is pushed or someone syncs.`,
      }
  }
}

/** "Syncing shop/api", while it runs. */
export function runningLine(action: StackAction, address: string): string {
  const verbs = {sync: 'Syncing', heal: 'Healing', suspend: 'Suspending', resume: 'Resuming', down: 'Taking down', up: 'Bringing up', rollback: 'Rolling back'} as const
  return action.kind === 'rollback' ? `Rolling back ${address} to ${shortSha(action.commit)}` : `${verbs[action.kind]} ${address}`
}

/** "Sync failed", before the server's message. */
export function failedLine(action: StackAction): string {
  const names = {sync: 'Sync', heal: 'Heal', suspend: 'Suspend', resume: 'Resume', down: 'Take down', up: 'Bring up', rollback: 'Rollback'} as const
  return `${names[action.kind]} failed`
}

/** How the answers of the action routes look, by what the client reads of them. */
interface DeployAnswer {
  deployment?: DeploymentView
  changes?: ServiceChange[]
  stacks?: Array<{stack: string; deployment: DeploymentView | null; changes?: ServiceChange[]; skipped?: string; hold?: HoldView | null; changed?: boolean; result?: 'healed' | 'in-sync'}>
}

/** The success line for the stack `stackName` of the answer. */
export function successLine(action: StackAction, address: string, stackName: string, answer: unknown): string {
  const body = (answer ?? {}) as DeployAnswer
  const mine = body.stacks?.find((entry) => entry.stack === stackName) ?? body.stacks?.[0]
  const deployment = body.deployment ?? mine?.deployment ?? null
  const changes = body.changes ?? mine?.changes ?? []
  if (mine?.skipped) return `${address} was skipped: ${mine.skipped}`
  switch (action.kind) {
    case 'heal':
      return mine?.result === 'in-sync' ? `${address} had nothing to heal.` : `Healed ${address}${deployment ? ` at ${shortSha(deployment.commit)}` : ''}.`
    case 'sync':
    case 'up': {
      const verb = action.kind === 'up' ? 'Brought up' : 'Deployed'
      const at = deployment ? ` at ${shortSha(deployment.commit)}` : ''
      return `${verb} ${address}${at}: ${changesLine(changes)}.`
    }
    case 'rollback':
      return `Rolled back ${address} to ${shortSha(action.commit)}${deployment?.replacedCommit ? ` (was ${shortSha(deployment.replacedCommit)})` : ''}.`
    case 'suspend':
      return mine?.changed === false ? `${address} was suspended already.` : `Suspended ${address}: kedge leaves it as it runs.`
    case 'resume':
      return mine?.changed === false ? `${address} was not suspended.` : `Resumed ${address}: kedge acts on it again.`
    case 'down':
      return mine?.changed === false ? `${address} was down already.` : `Took down ${address}: its containers are stopped and removed.`
  }
}

function changesLine(changes: ServiceChange[]): string {
  if (changes.length === 0) return 'no service changed'
  return changes.map((change) => `${change.action} ${change.service}`).join(', ')
}
