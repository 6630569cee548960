import type {StackHealth, StackOverview} from '../api/types.js'
import {healthRank} from '../health.js'

export type SortKey = 'name' | 'health' | 'lastDeploy' | 'drift'
export type SortDirection = 'ascending' | 'descending'

export interface SortOrder {
  key: SortKey
  direction: SortDirection
}

/** A first press sorts the way one reads a column first: names A to Z, the newest deploy, the most drift, what needs a person. */
const FIRST_DIRECTION: Record<SortKey, SortDirection> = {
  name: 'ascending',
  health: 'ascending',
  lastDeploy: 'descending',
  drift: 'descending',
}

export const DEFAULT_ORDER: SortOrder = {key: 'health', direction: 'ascending'}

export function nextOrder(current: SortOrder, key: SortKey): SortOrder {
  if (current.key !== key) return {key, direction: FIRST_DIRECTION[key]}
  return {key, direction: current.direction === 'ascending' ? 'descending' : 'ascending'}
}

const VALUE_OF: Record<SortKey, (stack: StackOverview) => number | string> = {
  name: (stack) => stack.address.toLowerCase(),
  health: (stack) => healthRank(stack.health),
  lastDeploy: (stack) => (stack.lastDeployment ? Date.parse(stack.lastDeployment.at) : 0),
  drift: (stack) => stack.driftCount,
}

/** Sorted by the order's column, then by address A to Z whatever the direction, so equal rows keep still. */
export function sortStacks(stacks: readonly StackOverview[], order: SortOrder): StackOverview[] {
  const valueOf = VALUE_OF[order.key]
  const sign = order.direction === 'ascending' ? 1 : -1
  return [...stacks].sort((a, b) => sign * compare(valueOf(a), valueOf(b)) || compare(a.address, b.address))
}

export interface StackFilter {
  text: string
  health: StackHealth | 'all'
}

export function filterStacks(stacks: readonly StackOverview[], filter: StackFilter): StackOverview[] {
  const text = filter.text.trim().toLowerCase()
  return stacks.filter((stack) => (filter.health === 'all' || stack.health === filter.health) && (text === '' || stack.address.toLowerCase().includes(text)))
}

function compare(a: number | string, b: number | string): number {
  if (typeof a === 'string' && typeof b === 'string') return a.localeCompare(b)
  return a < b ? -1 : a > b ? 1 : 0
}
