import {Flags} from '@oclif/core'

import type {EngineChoice} from '../../usecases/engines/engine-choice.js'

/** How `repo add` and `repo set` choose the engine a repository's stacks run on (docs/multi-host.md). */
export const engineFlags = {
  engine: Flags.string({summary: 'Deploy its stacks to this registered engine (kedge engine list); "local" is the one kedge runs beside. For one stack (repo set NAME/STACK), "repository" follows the repository\'s.', exclusive: ['docker-host', 'context'], helpGroup: 'ENGINE'}),
  'docker-host': Flags.string({
    summary: 'Deploy to the registered engine at this address; a unix:// socket not registered yet is registered.',
    exclusive: ['engine', 'context'],
    helpGroup: 'ENGINE',
  }),
  context: Flags.string({summary: 'Deploy to the engine of this Docker context, registered on first use.', exclusive: ['engine', 'docker-host'], helpGroup: 'ENGINE'}),
}

export function engineChoice(flags: {engine?: string; 'docker-host'?: string; context?: string}): EngineChoice | undefined {
  if (flags.engine === undefined && flags['docker-host'] === undefined && flags.context === undefined) return undefined
  return {engine: flags.engine, dockerHost: flags['docker-host'], context: flags.context}
}
