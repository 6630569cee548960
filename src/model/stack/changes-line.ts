import type {ServiceChange} from './plan.js'

const VERBS: Record<ServiceChange['action'], string> = {
  create: 'starting',
  recreate: 'recreating',
  remove: 'removing',
  scale: 'scaling',
  start: 'starting',
  restart: 'restarting',
  reload: 'reloading',
  files: 'updating the files of',
}

/** The health gate's step, after a deploy's or a rollback's apply. */
export const WAITING_FOR_SERVICES = 'waiting for every service to run, and to be healthy where it has a health check'

/** What applying a stack is about to do, in one line for the person watching ("starting web, recreating db"). */
export function changesLine(changes: readonly ServiceChange[]): string {
  if (changes.length === 0) return 'applying: every service is as the commit wants it'
  const byVerb = new Map<string, string[]>()
  for (const change of changes) {
    const verb = VERBS[change.action]
    byVerb.set(verb, [...(byVerb.get(verb) ?? []), change.service])
  }
  return [...byVerb].map(([verb, services]) => `${verb} ${services.join(', ')}`).join(', ')
}
