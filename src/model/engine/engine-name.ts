import {InvalidInputError} from '../errors.js'

/** The engine kedge runs beside (DOCKER_HOST or DOCKER_CONTEXT of its own environment, else the default socket): it has no row. */
export const LOCAL_ENGINE = 'local'

const ENGINE_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/

/** A name `kedge engine add` accepts: short, lower case, and usable in a metric's label and a heading as it is. */
export function checkEngineName(name: string): string {
  if (name === LOCAL_ENGINE) {
    throw new InvalidInputError('"local" names the engine kedge runs beside, which needs no registration', {
      code: 'invalid_name',
      hint: 'choose another name, such as the host\'s',
    })
  }
  if (!ENGINE_NAME.test(name)) {
    throw new InvalidInputError(`"${name}" is not an engine name: lower-case letters, digits and -, starting with a letter or digit, at most 63`, {
      code: 'invalid_name',
      hint: 'name it after its host, e.g. web2',
    })
  }
  return name
}
