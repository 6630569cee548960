import {InvalidInputError, quoted} from '../errors.js'
import {parseRemoteUrl} from '../repository/repo-url.js'
import {FORGES, type Forge} from '../repository/column-values.js'
import type {OutgoingRequest} from './outgoing-message.js'

/**
 * Commit statuses: kedge marks the commit it deployed on the forge the repository lives on, as a CI
 * system would, so that the forge shows whether each host runs it. The model builds the forge's request;
 * the messenger delivers it.
 */
export {FORGES, type Forge} from '../repository/column-values.js'

/** What kedge reports of a deployment; each forge names these in its own words (commitStatusRequest). */
export type CommitState = 'pending' | 'success' | 'failure'

/** Forgejo is a fork of Gitea and keeps its API, so it is spoken to as Gitea. */
const FORGE_ALIASES = new Map<string, Forge>([['forgejo', 'gitea']])

/** The public instances whose forge the host alone tells; a self-hosted forge has to be named. */
const KNOWN_HOSTS = new Map<string, Forge>([
  ['github.com', 'github'],
  ['gitlab.com', 'gitlab'],
  ['codeberg.org', 'gitea'],
  ['gitea.com', 'gitea'],
])

/** GitHub's limit on a status's description; Gitea and GitLab take longer ones, so it holds for all. */
export const DESCRIPTION_MAX_LENGTH = 140

const GITHUB_API_VERSION = '2022-11-28'
/** A full commit id: SHA-1, or SHA-256 in a repository that uses it. */
const FULL_COMMIT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/

export function parseForge(name: string): Forge {
  const lowered = name.trim().toLowerCase()
  const forge = FORGE_ALIASES.get(lowered) ?? FORGES.find((known) => known === lowered)
  if (!forge) {
    throw new InvalidInputError(`unknown forge ${quoted(name)}`, {hint: 'use github, gitea (also for Forgejo) or gitlab'})
  }
  return forge
}

/**
 * The forge of a repository on a public instance kedge knows; null for any other host, or none. A
 * malformed URL is refused as parseRemoteUrl refuses it (invalid_url).
 */
export function forgeOfUrl(repoUrl: string): Forge | null {
  const location = remoteLocation(repoUrl)
  return location ? (KNOWN_HOSTS.get(location.hostname) ?? null) : null
}

/**
 * The repository's path on its forge: "owner/repo", or on GitLab "group/subgroup/project", without
 * `.git`. Throws for a repository that is not on a forge (a local path, a file:// URL) or has no such path.
 */
export function repositoryPathOf(repoUrl: string): string {
  const location = remoteLocation(repoUrl)
  if (!location) {
    throw new InvalidInputError(`${quoted(repoUrl)} is not on a forge: a local repository has no commit statuses`)
  }
  const segments = location.path.split('/').filter((segment) => segment.length > 0)
  const last = segments.pop()?.replace(/\.git$/i, '')
  if (!last || segments.length === 0) {
    throw new InvalidInputError(`${quoted(repoUrl)} names no owner and repository on its forge`, {
      hint: 'forges address a repository as owner/repo (GitLab: group/project), e.g. https://host/owner/repo.git',
    })
  }
  return [...segments, last].join('/')
}

/**
 * Where the forge's API answers for the repository, when the operator does not say: on the
 * repository's host, over http only when the repository is cloned over http. An ssh remote's port is
 * ssh's, not the web server's, so it is left out.
 */
export function defaultApiBase(forge: Forge, repoUrl: string): string {
  const location = remoteLocation(repoUrl)
  if (!location) {
    throw new InvalidInputError(`${quoted(repoUrl)} is not on a forge, so it has no API to ask`)
  }
  if (forge === 'github' && location.hostname === 'github.com') return 'https://api.github.com'
  const web = `${location.scheme}://${location.webHost}`
  switch (forge) {
    // GitHub Enterprise Server.
    case 'github':
      return `${web}/api/v3`
    case 'gitea':
      return `${web}/api/v1`
    case 'gitlab':
      return `${web}/api/v4`
  }
}

export interface CommitStatusInput {
  forge: Forge
  apiBase: string
  repositoryPath: string
  token: string
  commit: string
  state: CommitState
  /** Tells this status apart from the others on the commit: one per host and stack (statusContext). */
  context: string
  description: string
  /** Where the forge links the status to; left out when null. */
  targetUrl: string | null
}

/**
 * The request that sets a commit's status, as each forge documents it:
 * - GitHub: POST /repos/{owner}/{repo}/statuses/{sha}
 *   (https://docs.github.com/en/rest/commits/statuses#create-a-commit-status);
 * - Gitea and Forgejo: POST /repos/{owner}/{repo}/statuses/{sha} (their API's repoCreateStatus);
 * - GitLab: POST /projects/:id/statuses/:sha, :id the URL-encoded project path
 *   (https://docs.gitlab.com/ee/api/commits.html#set-the-pipeline-status-of-a-commit).
 * A status with the same context replaces the one before it, so pending can become success or failure.
 */
export function commitStatusRequest(input: CommitStatusInput): OutgoingRequest {
  if (!FULL_COMMIT.test(input.commit)) {
    throw new InvalidInputError(`invalid commit ${quoted(input.commit)}: a forge takes a status for a full commit id`, {code: 'invalid_commit'})
  }
  const base = input.apiBase.replace(/\/+$/, '')
  const description = oneLine(input.description)
  const targetUrl = input.targetUrl === null ? {} : {target_url: input.targetUrl}
  const common = {'content-type': 'application/json', 'user-agent': 'kedge'}

  switch (input.forge) {
    case 'github':
      return {
        kind: 'http',
        method: 'POST',
        url: `${base}/repos/${ownerAndRepo(input)}/statuses/${input.commit}`,
        headers: {
          ...common,
          accept: 'application/vnd.github+json',
          authorization: `Bearer ${input.token}`,
          'x-github-api-version': GITHUB_API_VERSION,
        },
        body: JSON.stringify({state: input.state, ...targetUrl, description, context: input.context}),
      }
    case 'gitea':
      return {
        kind: 'http',
        method: 'POST',
        url: `${base}/repos/${ownerAndRepo(input)}/statuses/${input.commit}`,
        headers: {...common, accept: 'application/json', authorization: `token ${input.token}`},
        body: JSON.stringify({state: input.state, ...targetUrl, description, context: input.context}),
      }
    case 'gitlab':
      return {
        kind: 'http',
        method: 'POST',
        url: `${base}/projects/${encodeURIComponent(input.repositoryPath)}/statuses/${input.commit}`,
        headers: {...common, accept: 'application/json', 'private-token': input.token},
        // GitLab names the status `name` (or `context`), and a failure `failed`.
        body: JSON.stringify({
          state: input.state === 'failure' ? 'failed' : input.state,
          name: input.context,
          ...targetUrl,
          description,
        }),
      }
  }
}

/** The context of a stack's status on one host: each host running the stack reports its own. */
export function statusContext(host: string, stack: string): string {
  return `kedge/${host}/${stack}`
}

interface RemoteLocation {
  /** The scheme of the forge's web server (and so of its API). */
  scheme: 'https' | 'http'
  /** Lower-cased. */
  hostname: string
  /** The host and, for an http(s) remote, its port: where the web server answers. */
  webHost: string
  /** The path on the host, percent-decoded. */
  path: string
}

/** Where a repository is on its host; null for a local repository (a path or a file:// URL). */
function remoteLocation(repoUrl: string): RemoteLocation | null {
  const remote = parseRemoteUrl(repoUrl)
  switch (remote.kind) {
    case 'path':
    case 'file':
      return null
    case 'scp': {
      // parseRemoteUrl accepted it as [user@]host:path, the host an IPv6 address in brackets or a name.
      const [, hostname, path] = /^(?:[^@]+@)?(\[[^\]]+\]|[^:]+):(.*)$/.exec(remote.url)!
      return {scheme: 'https', hostname: hostname!.toLowerCase(), webHost: hostname!.toLowerCase(), path: path!}
    }
    default: {
      const url = new URL(remote.url)
      // Only an http(s) remote's port is the web server's; the URL parser leaves an ssh:// host's case as written.
      const web = remote.kind === 'https' || remote.kind === 'http'
      const hostname = url.hostname.toLowerCase()
      return {
        scheme: remote.kind === 'http' ? 'http' : 'https',
        hostname,
        webHost: web ? url.host : hostname,
        path: decodeURIComponent(url.pathname),
      }
    }
  }
}

/** "owner/repo" for the forges that have no deeper paths, each part encoded for the URL. */
function ownerAndRepo(input: CommitStatusInput): string {
  const parts = input.repositoryPath.split('/')
  if (parts.length !== 2 || parts.some((part) => part.length === 0)) {
    throw new InvalidInputError(`invalid repository path ${quoted(input.repositoryPath)} for ${input.forge}: expected owner/repo`)
  }
  return parts.map(encodeURIComponent).join('/')
}

/** The description on one line, cut to the forges' limit with "…" where it was cut. */
function oneLine(text: string): string {
  const characters = [...text.replace(/\s+/g, ' ').trim()]
  return characters.length > DESCRIPTION_MAX_LENGTH ? `${characters.slice(0, DESCRIPTION_MAX_LENGTH - 1).join('')}…` : characters.join('')
}

/** What `--commit-status` takes besides a forge's name: tell it from the URL, or post none. */
export const COMMIT_STATUS_CHOICES = ['auto', 'off', ...FORGES, 'forgejo'] as const

/**
 * The repository's commit-status columns from `--commit-status` (a forge, `auto`, or `off`) and
 * `--commit-status-api`: the forge must be known (named, or told by a public host), the repository must
 * be on it, and an API base must be an http(s) URL without credentials.
 */
export function commitStatusSetting(repoUrl: string, requested: string, api: string | null = null): {commitStatus: Forge | null; commitStatusApi: string | null} {
  if (requested.trim().toLowerCase() === 'off') return {commitStatus: null, commitStatusApi: null}
  const forge = requested.trim().toLowerCase() === 'auto' ? forgeOfUrl(repoUrl) : parseForge(requested)
  if (forge === null) {
    throw new InvalidInputError(`cannot tell the forge of ${quoted(repoUrl)} from its host`, {hint: 'name it: --commit-status github, gitea (also for Forgejo) or gitlab'})
  }
  const apiBase = api === null ? null : checkedApiBase(api)
  // Built once now, as every deploy will: a repository path the forge cannot take is refused here, not at each deploy.
  commitStatusRequest({
    forge,
    apiBase: apiBase ?? defaultApiBase(forge, repoUrl),
    repositoryPath: repositoryPathOf(repoUrl),
    token: 'checked-at-registration',
    commit: '0'.repeat(40),
    state: 'pending',
    context: 'kedge',
    description: '',
    targetUrl: null,
  })
  return {commitStatus: forge, commitStatusApi: apiBase}
}

function checkedApiBase(api: string): string {
  let url: URL
  try {
    url = new URL(api)
  } catch {
    throw new InvalidInputError(`--commit-status-api ${quoted(api)} is not a URL`, {code: 'invalid_url', hint: 'give the API base, e.g. https://git.example.com/api/v1'})
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || url.search || url.hash) {
    throw new InvalidInputError(`--commit-status-api ${quoted(api)} is not an http(s) URL without credentials`, {code: 'invalid_url', hint: 'the token is the repository\'s own: give only the API base, e.g. https://git.example.com/api/v1'})
  }
  return api.replace(/\/+$/, '')
}
