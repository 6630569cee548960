import type {FastifyRequest} from 'fastify'

import type {KedgeContext} from '../../../usecases/context.js'
import type {HttpServerOptions} from '../server-options.js'

/** The id a client gives an action so that it can follow its steps on the event stream. */
const ACTION_ID = /^[A-Za-z0-9_-]{8,64}$/

/**
 * The context an action of the API runs with: when the request names itself with `X-Kedge-Action`, each
 * step the use case tells (pulling, recreating, waiting for health) goes out on the event stream under
 * that id, so that the dashboard shows the action's progress while the request is open.
 */
export function actionContext(request: FastifyRequest, options: Pick<HttpServerOptions, 'context' | 'feed'>, address: string): KedgeContext {
  const header = request.headers['x-kedge-action']
  const action = Array.isArray(header) ? header[0] : header
  if (action === undefined || !ACTION_ID.test(action)) return options.context
  const {context, feed} = options
  return {...context, progress: {step: (what) => feed.progress(action, address, what, context.clock.now())}}
}
