import {homeMount, homeMountWarning} from '../../model/home-mount.js'
import {errorMessage} from '../../model/errors.js'
import type {KedgeContext} from '../../usecases/context.js'
import type {Logger} from './logger.js'

/**
 * In a container, warns once when the home is not at the same path on the host: the engine would look for
 * the stacks' bind mounts where the home is not (model/home-mount.ts). Never fails serve: a check that
 * cannot be made is logged at debug level.
 */
export async function warnWhenHomeIsElsewhereOnHost(context: Pick<KedgeContext, 'engine' | 'home'>, logger: Logger): Promise<void> {
  const home = context.home.root
  try {
    const mounts = await context.engine.ownContainerMounts()
    if (mounts === null) return
    const warning = homeMountWarning(home, homeMount(home, mounts))
    if (warning) logger.log('warn', 'home.mount_mismatch', {home, host_path: warning.hostPath ?? 'none', reason: warning.reason, hint: warning.hint})
  } catch (error) {
    logger.log('debug', 'home.mount_unchecked', {home, error: errorMessage(error)})
  }
}
