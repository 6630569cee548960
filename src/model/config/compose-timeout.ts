import {DURATION_EXPECTED, parseDuration} from './duration.js'
import {InvalidInputError} from '../errors.js'

/**
 * KEDGE_COMPOSE_TIMEOUT: how long any one Compose command may run, instead of the defaults (60 s to
 * validate, 15 min to pull, apply or take down); null when unset. Read by every command at its start,
 * so that a value kedge cannot read is refused before anything is done.
 */
export function composeTimeoutSetting(): number | null {
  const setting = process.env.KEDGE_COMPOSE_TIMEOUT
  if (setting === undefined || setting.trim() === '') return null
  const ms = parseDuration(setting)
  if (ms === null) {
    throw new InvalidInputError(`invalid KEDGE_COMPOSE_TIMEOUT ${JSON.stringify(setting)}: expected ${DURATION_EXPECTED}`, {
      code: 'invalid_compose_timeout',
      hint: 'set it to how long one Compose command may run, e.g. 2m, or unset it',
    })
  }
  return ms
}
