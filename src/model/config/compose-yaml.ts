import {InvalidConfigError} from '../errors.js'
import {COMPOSE_FILE_MAX_TOKENS, parseBoundedYaml, YamlTooComplexError} from './bounded-yaml.js'

/**
 * A compose file's text as YAML, bounded (see parseBoundedYaml); `merge` resolves `<<` keys as Compose
 * does; `lenient` returns what parses despite errors. A file over the bound is an InvalidConfigError.
 */
export function parseComposeYaml(text: string, shown: string, options: {merge?: boolean; lenient?: boolean} = {}): unknown {
  try {
    return parseBoundedYaml(text, {maxTokens: COMPOSE_FILE_MAX_TOKENS, ...options})
  } catch (error) {
    throw tooComplex(error, shown)
  }
}

/** YamlTooComplexError as the refusal of the file; any other error as it is. */
export function tooComplex(error: unknown, shown: string): unknown {
  if (!(error instanceof YamlTooComplexError)) return error
  return new InvalidConfigError(shown, undefined, `too large to parse: ${error.message}`, {hint: 'split the stack into smaller files, or see docs/hostile-commits.md for the limits'})
}
