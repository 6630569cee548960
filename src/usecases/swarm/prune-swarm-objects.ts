import {errorMessage} from '../../model/errors.js'
import {LABELS} from '../../model/compose/labels.js'
import type {StackSnapshot} from '../../model/stack/stack-snapshot.js'
import type {KedgeContext} from '../context.js'
import {namespaceOf} from './swarm-stack.js'

/** How Swarm refuses to remove a config or secret a service still uses: the one refusal that is no fault. */
const IN_USE = /in use by the following service|is in use by/i

/**
 * Once a deployment has passed its gate, removes kedge's configs and secrets of the stack that no service
 * uses any more: each changed file made a new one (they are named by their content), and the old ones
 * would pile up. Swarm refuses to remove one still in use, which is how kedge knows to keep it; anything
 * else is an error of the deployment's.
 */
export async function pruneUnusedSwarmObjects(context: Pick<KedgeContext, 'engine'>, repository: string, snapshot: StackSnapshot): Promise<void> {
  const objects = await context.engine.listStackObjects(namespaceOf(snapshot))
  const ours = (labels: Record<string, string>) => labels[LABELS.managed] === 'true' && labels[LABELS.repository] === repository
  const removals = [
    ...objects.configs.filter((config) => ours(config.labels)).map((config) => () => context.engine.removeConfig(config.id)),
    ...objects.secrets.filter((secret) => ours(secret.labels)).map((secret) => () => context.engine.removeSecret(secret.id)),
  ]
  for (const remove of removals) {
    try {
      await remove()
    } catch (error) {
      if (!IN_USE.test(errorMessage(error))) throw error
    }
  }
}
