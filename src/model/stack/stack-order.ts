import {byCodeUnits} from '../compose/text-order.js'

export interface OrderedStack {
  name: string
  /** Names of stacks that come before this one; each names a stack of the list, and not itself. */
  after: readonly string[]
}

export type StackOrder<T extends OrderedStack> = {ordered: T[]} | {cycle: string[]}

/**
 * The stacks in deploy order: each after the stacks its `after` names, and otherwise by name (code-unit
 * order), so the order is the same on every host and every run. When the `after`s make a cycle there is
 * no such order: `cycle` names its stacks in order, the first repeated at the end (`web`, `api`, `web`:
 * web comes after api, which comes after web), starting from the least name in it.
 */
export function stackOrder<T extends OrderedStack>(stacks: readonly T[]): StackOrder<T> {
  const pending = [...stacks].sort((a, b) => byCodeUnits(a.name, b.name))
  const placed = new Set<string>()
  const ordered: T[] = []
  while (pending.length > 0) {
    const next = pending.findIndex((stack) => stack.after.every((name) => placed.has(name)))
    if (next === -1) return {cycle: cycleAmong(pending)}
    const [stack] = pending.splice(next, 1)
    placed.add(stack!.name)
    ordered.push(stack!)
  }
  return {ordered}
}

/**
 * A cycle among stacks none of which can be placed (each waits for another of them). Walking from any of
 * them along the least name each waits for comes back to a stack already walked: the walk from there on is a cycle.
 */
function cycleAmong(waiting: readonly OrderedStack[]): string[] {
  const byName = new Map(waiting.map((stack) => [stack.name, stack]))
  const walked: string[] = []
  let current = waiting[0]!
  while (!walked.includes(current.name)) {
    walked.push(current.name)
    const waitsFor = current.after.filter((name) => byName.has(name)).sort(byCodeUnits)[0]!
    current = byName.get(waitsFor)!
  }
  const cycle = walked.slice(walked.indexOf(current.name))
  const least = cycle.reduce((min, name) => (byCodeUnits(name, min) < 0 ? name : min))
  const start = cycle.indexOf(least)
  const rotated = [...cycle.slice(start), ...cycle.slice(0, start)]
  return [...rotated, least]
}
