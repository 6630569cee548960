import {Flags} from '@oclif/core'

import {COMMIT_STATUS_CHOICES} from '../../model/notify/commit-status.js'
import type {RepositoryView} from '../../model/repository/repository-view.js'

/** What `repo add` and `repo set` take about hooks and commit statuses. */
export const telling = {
  'allow-hooks': Flags.boolean({
    summary: "Let the repository's hooks (kedge.yaml hooks:) run on this host; --no-allow-hooks stops them.",
    allowNo: true,
    helpGroup: 'HOOKS AND STATUS',
  }),
  'commit-status': Flags.string({
    summary: 'Post a commit status for each deploy to the forge: github, gitea (Forgejo too), gitlab, auto (from the host) or off.',
    options: [...COMMIT_STATUS_CHOICES],
    helpGroup: 'HOOKS AND STATUS',
  }),
  'commit-status-api': Flags.string({
    summary: "The forge's API base when the remote's URL does not imply it (e.g. https://git.example.com/api/v1).",
    helpGroup: 'HOOKS AND STATUS',
  }),
}

/** How a repository's hooks and commit statuses are shown after `repo add` and `repo set`. */
export function tellingLines(repository: Pick<RepositoryView, 'allowHooks' | 'commitStatus'>): string[] {
  const lines = [`hooks    ${repository.allowHooks ? 'allowed to run on this host' : 'not run (repo set --allow-hooks allows them)'}`]
  if (repository.commitStatus) lines.push(`status   commit statuses posted to ${repository.commitStatus.forge}${repository.commitStatus.api ? ` at ${repository.commitStatus.api}` : ''}`)
  return lines
}
