import {request} from './client.js'
import type {DeploymentView, DiffResult, RepositoryStatus, StackOverview} from './types.js'

const HISTORY_LIMIT = 50

/** A stack as its address names it: `<repository>` for a repository's root stack, else `<repository>/<stack>`. */
export interface StackAddress {
  address: string
  repo: string
  /** null for the root stack, which the API names by the repository alone. */
  stack: string | null
}

export function parseAddress(address: string): StackAddress {
  const slash = address.indexOf('/')
  return slash < 0 ? {address, repo: address, stack: null} : {address, repo: address.slice(0, slash), stack: address.slice(slash + 1)}
}

export function stackPath({repo, stack}: StackAddress): string {
  const repoPath = `/api/v1/repos/${encodeURIComponent(repo)}`
  return stack === null ? repoPath : `${repoPath}/stacks/${encodeURIComponent(stack)}`
}

export function loadOverview(): Promise<StackOverview[]> {
  return request<StackOverview[]>('/api/v1/stacks')
}

// A repository's path answers for all of its stacks: a list, of which this page shows the one it names.
export async function loadStatus(target: StackAddress): Promise<RepositoryStatus> {
  const answer = await request<RepositoryStatus | RepositoryStatus[]>(`${stackPath(target)}/status`)
  if (!Array.isArray(answer)) return answer
  const status = answer.find((candidate) => candidate.address === target.address) ?? answer[0]
  if (!status) throw new Error(`kedge knows no stack ${target.address}`)
  return status
}

export async function loadHistory(target: StackAddress, stackName: string): Promise<DeploymentView[]> {
  const rows = await request<DeploymentView[]>(`${stackPath(target)}/history?limit=${HISTORY_LIMIT}`)
  return rows.filter((row) => row.stack === stackName)
}

export async function loadDiff(target: StackAddress, stackName: string): Promise<DiffResult> {
  const answer = await request<DiffResult | {repo: string; stacks: DiffResult[]}>(`${stackPath(target)}/diff`)
  if (!('stacks' in answer)) return answer
  const result = answer.stacks.find((candidate) => candidate.stack === stackName) ?? answer.stacks[0]
  if (!result) throw new Error(`kedge compared no stack of ${target.repo}`)
  return result
}
