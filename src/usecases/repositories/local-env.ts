import {readFileSync} from 'node:fs'

import {errorMessage, InvalidInputError} from '../../model/errors.js'
import {registerLocalValue} from '../../model/secrets/redaction.js'
import type {RepositoryRow} from '../../model/rows.js'
import type {InputText} from './repository-auth.js'
import type {KedgeContext, ReadContext} from '../context.js'
import {requireRepository} from './require-repository.js'

/**
 * A repository's local env file: values Compose interpolates (`${PG_PASS:?}`) that belong to this host
 * and must not be committed. Kept sealed in the repository's row, handed to Compose in its process
 * environment, and every value is known to redaction once opened.
 */
export type LocalEnvironment = Readonly<Record<string, string>>

export interface LocalEnvView {
  name: string
  /** The names the file sets, never their values; empty when the repository has no local env file. */
  variables: string[]
}

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
const ASSIGNMENT = /^(?:export\s+)?([^=\s]+)\s*=\s*(.*)$/
/**
 * Variables that configure the tools kedge runs rather than the stack: one would point Compose at another
 * engine than the one kedge watches (DOCKER_HOST), or enable profiles kedge.yaml does not list (COMPOSE_PROFILES).
 */
const TOOL_VARIABLES = /^(PATH|HOME|DOCKER_\w+|COMPOSE_\w+|KEDGE_\w+)$/
const DOUBLE_QUOTE_ESCAPES: Record<string, string> = {n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\', $: '$'}

/**
 * Reads a dotenv file as Compose does for the lines it has in common with other tools: `NAME=value`,
 * an optional `export `, blank lines and `#` comments, single quotes (literal), double quotes (with
 * \n, \t, \", \\ escapes), and an unquoted value's ` #` comment. Values are taken as written: a `${...}`
 * in one is not expanded. Variables of Docker, Compose and kedge themselves are refused (TOOL_VARIABLES).
 * A bad line is reported by its number only: the line may hold a secret.
 */
export function parseEnvFile(text: string, source: string): Record<string, string> {
  const variables: Record<string, string> = {}
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  lines.forEach((raw, index) => {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) return
    const refuse = (reason: string) =>
      new InvalidInputError(`${source}: line ${index + 1}: ${reason}`, {code: 'invalid_env_file', hint: 'write one NAME=value a line; quote a value with spaces or "#"'})
    const assignment = ASSIGNMENT.exec(line)
    if (!assignment) throw refuse('expected NAME=value')
    const [, name, rest] = assignment as unknown as [string, string, string]
    if (!VARIABLE_NAME.test(name)) throw refuse('expected a variable name of letters, digits and "_", not starting with a digit')
    if (TOOL_VARIABLES.test(name)) throw refuse(`${name} configures Docker, Compose or kedge, not the stack`)
    const value = parseValue(rest)
    if (typeof value !== 'string') throw refuse(value.error)
    if (value.includes('\0')) throw refuse('the value holds a NUL character')
    variables[name] = value
  })
  return variables
}

function parseValue(text: string): string | {error: string} {
  const quote = text[0]
  if (quote !== '"' && quote !== "'") return text.replace(/(^|\s+)#.*$/, '').trim()
  let value = ''
  for (let i = 1; i < text.length; i++) {
    const char = text[i]!
    if (char === quote) {
      const after = text.slice(i + 1).trim()
      if (after !== '' && !after.startsWith('#')) return {error: `unexpected text after the closing ${quote}`}
      return value
    }
    if (quote === '"' && char === '\\' && i + 1 < text.length) {
      const next = text[++i]!
      value += DOUBLE_QUOTE_ESCAPES[next] ?? `\\${next}`
      continue
    }
    value += char
  }
  return {error: `the ${quote} that opens the value is not closed on its line`}
}

/**
 * Replaces the repository's local env file (`input`), or removes it (null). The file is read and
 * validated before anything is written. A running stack is not redeployed: the next deploy uses it.
 */
export function setLocalEnv(context: KedgeContext, name: string, input: InputText | null): LocalEnvView {
  const repository = requireRepository(context, name)
  if (input === null) {
    context.store.updateRepository(repository.id, {localEnv: null})
    return {name: repository.name, variables: []}
  }
  const source = 'file' in input ? input.file : input.name
  const variables = parseEnvFile(readInput(input, source), source)
  for (const value of Object.values(variables)) registerLocalValue(value)
  context.store.updateRepository(repository.id, {localEnv: context.secrets.seal(JSON.stringify(variables), localEnvBinding(repository.name))})
  return {name: repository.name, variables: Object.keys(variables).sort()}
}

/** What opening a local env file needs: the repository's row, and the key it was sealed with. */
type OpeningContext = Pick<ReadContext, 'store'> & Pick<KedgeContext, 'secrets'>

/** The variables of the repository's local env file, opened for one use; empty when it has none. */
export function localEnvironment(context: OpeningContext, repositoryName: string): LocalEnvironment {
  const repository = context.store.findRepository(repositoryName)
  return repository ? openLocalEnv(context, repository) : {}
}

/**
 * The same, opened on the first call and then kept: one deploy runs Compose with one version of the file,
 * even when `repo set` replaces it meanwhile.
 */
export function localEnvironmentOnce(context: OpeningContext, repositoryName: string): () => LocalEnvironment {
  let opened: LocalEnvironment | undefined
  return () => (opened ??= localEnvironment(context, repositoryName))
}

/** The names the repository's local env file sets. */
export function localEnvView(context: OpeningContext, repository: RepositoryRow): LocalEnvView {
  return {name: repository.name, variables: Object.keys(openLocalEnv(context, repository)).sort()}
}

function openLocalEnv(context: OpeningContext, repository: RepositoryRow): LocalEnvironment {
  if (!repository.localEnv) return {}
  const text = context.secrets.open(repository.localEnv, localEnvBinding(repository.name), `the local env file of repository "${repository.name}"`)
  const variables = JSON.parse(text) as Record<string, string>
  for (const value of Object.values(variables)) registerLocalValue(value)
  return variables
}

/** What the sealed file is bound to: it opens for this repository only. */
function localEnvBinding(repositoryName: string): string {
  return `kedge repository local env ${repositoryName}`
}

function readInput(input: InputText, source: string): string {
  if ('content' in input) return input.content
  try {
    return readFileSync(input.file, 'utf8')
  } catch (error) {
    throw new InvalidInputError(`cannot read the env file ${source}: ${errorMessage(error).replace(/^\w+: /, '')}`, {code: 'invalid_env_file'})
  }
}
