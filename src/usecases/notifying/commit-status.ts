import {commitStatusRequest, defaultApiBase, repositoryPathOf, statusContext, type CommitState} from '../../model/notify/commit-status.js'
import type {KedgeEvent} from '../../model/notify/kedge-event.js'
import type {DeploymentTrigger} from '../../model/repository/column-values.js'
import type {KedgeContext} from '../context.js'
import {repositoryCredentials} from '../repositories/credentials.js'
import {isRootStack} from '../../model/stack/stack-names.js'

/** The attempts that deploy a commit of the branch: a heal or a rollback says nothing new about the commit it applies. */
const STATUS_TRIGGERS: readonly DeploymentTrigger[] = ['git', 'manual', 'startup', 'up']

/** What a commit status needs of the notifier's settings. */
export interface StatusSettings {
  publicUrl: string | null
  host: string
  sendTimeoutMs: number
}

/**
 * Posts the forge's commit status for a deploy of a commit, when the repository asked for it
 * (`repo add --commit-status`): `pending` as the attempt starts, then `success` or `failure` with one line
 * of description. The token is the repository's own (stored or from its variable); without one, nothing
 * is posted and the failure says why. Resolves once posted; rejects as a delivery does.
 */
export async function postCommitStatus(
  context: Pick<KedgeContext, 'secrets' | 'messenger'>,
  event: Extract<KedgeEvent, {kind: 'deploy_started' | 'deployment_finished'}>,
  settings: StatusSettings,
  signal?: AbortSignal,
): Promise<void> {
  const {repository, stack} = event.target
  const {deployment} = event
  if (repository.commitStatus === null || !STATUS_TRIGGERS.includes(deployment.trigger) || deployment.interrupted) return
  const credentials = repositoryCredentials(context, repository)
  if (credentials?.kind !== 'token') throw new Error(`no token to post the commit status with: the repository is not reached with a token`)
  const state: CommitState = event.kind === 'deploy_started' ? 'pending' : deployment.status === 'success' ? 'success' : 'failure'
  const description =
    event.kind === 'deploy_started'
      ? `deploying ${stack.name}`
      : deployment.status === 'success'
        ? `deployed ${stack.name}`
        : `${stack.name} failed: ${(deployment.error ?? deployment.status).split('\n')[0]}`
  // The stack's page on the dashboard: the person who clicks it in the forge sees its history and its containers.
  const address = isRootStack({repository, stack}) ? repository.name : `${repository.name}/${stack.name}`
  const targetUrl = settings.publicUrl === null ? null : `${settings.publicUrl.replace(/\/+$/, '')}/#/stack/${encodeURIComponent(address)}`
  const request = commitStatusRequest({
    forge: repository.commitStatus,
    apiBase: repository.commitStatusApi ?? defaultApiBase(repository.commitStatus, repository.url),
    repositoryPath: repositoryPathOf(repository.url),
    token: credentials.token,
    commit: deployment.commit,
    state,
    context: statusContext(settings.host, stack.name),
    description,
    targetUrl,
  })
  await context.messenger.deliver(request, {timeoutMs: settings.sendTimeoutMs, signal})
}
