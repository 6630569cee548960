import {parseAgeIdentities} from '../../model/secrets/age-identities.js'
import type {KedgeContext} from '../context.js'
import {ageKeyBinding} from '../deploying/stack-secrets.js'
import {requireRepository} from './require-repository.js'

/**
 * A repository's age identities (`repo set --age-key-stdin`): checked to be identities before anything is
 * written, then, by `apply`, sealed with the home's secret key like its other credentials. null removes them.
 */
export function planAgeKey(context: Pick<KedgeContext, 'store' | 'secrets'>, name: string, text: string | null): {apply: () => {name: string; identities: number}} {
  const repository = requireRepository(context, name)
  const identities = text === null ? [] : parseAgeIdentities(text, 'the age key given')
  return {
    apply: () => {
      const sealed = identities.length === 0 ? null : context.secrets.seal(identities.join('\n'), ageKeyBinding(repository.name))
      context.store.updateRepository(repository.id, {ageKey: sealed})
      return {name: repository.name, identities: identities.length}
    },
  }
}
