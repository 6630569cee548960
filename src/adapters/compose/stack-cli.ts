import {StackDeployFailedError, type StackCli, type StackDeployRunOptions, type StackProject} from '../../ports/stack-cli.js'

import {composeTimeoutSetting} from '../../model/config/compose-timeout.js'
import {DOCKER_ENDPOINT_VARIABLES, withoutDockerEndpoint} from '../../model/engine/engine-endpoint.js'
import {errorMessage, ExternalError} from '../../model/errors.js'
import {environmentWithoutSecrets} from '../../model/secrets/secret-environment.js'
import {stackDeployArgs} from '../../model/swarm/stack-invocation.js'
import {runChild, type ChildOutcome, whyKedgeStopped} from '../process/child-process.js'
import {engineDidNotAnswer, stackDeployHint, stackDeployOutput, stackDeployReason} from './stack-deploy-output.js'

/** As long as Compose gets to apply a stack (KEDGE_COMPOSE_TIMEOUT sets both): the CLI creates and updates, it does not wait for tasks. */
const DEPLOY_TIMEOUT_MS = 15 * 60_000
/** The CLI prints a line for each object it creates or updates: a stack of thousands of services fits many times over. */
const OUTPUT_LIMIT = 16 * 1024 * 1024

/** `KEDGE_DOCKER` if set (the docker CLI's path), else `docker` from PATH. */
export function dockerProgram(env: NodeJS.ProcessEnv = process.env): string {
  return env.KEDGE_DOCKER?.trim() || 'docker'
}

/**
 * The CLI's environment: kedge's own without its secrets, under the interpolation variables (the CLI
 * reads no `.env`), under the engine's DOCKER_HOST and TLS variables, which nothing before them may
 * choose: with DOCKER_HOST and DOCKER_CONTEXT both set, DOCKER_HOST wins, and the CLI would deploy to
 * another engine than the one kedge reads the stack from. Without a registered engine's, kedge's own.
 */
export function stackDeployProcessEnvironment(
  interpolation: Readonly<Record<string, string>>,
  engineEnvironment: Readonly<Record<string, string>> | undefined,
  processEnvironment: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  // Secrets stripped after the merge too: a repository's token variable must not come back through the interpolation variables.
  const merged = environmentWithoutSecrets({...environmentWithoutSecrets(processEnvironment), ...interpolation})
  return {...withoutDockerEndpoint(merged), ...(engineEnvironment ?? endpointVariables(processEnvironment))}
}

function endpointVariables(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(DOCKER_ENDPOINT_VARIABLES.flatMap((name) => (env[name] === undefined ? [] : [[name, env[name]]])))
}

/** Runs `docker stack deploy` for the project; fails with StackDeployFailedError (the CLI's line), or engine_unavailable. */
export async function stackDeploy(project: StackProject, options: StackDeployRunOptions): Promise<void> {
  const program = dockerProgram()
  const args = stackDeployArgs(project, {prune: options.prune, detachFlag: await hasDetachFlag(program)})
  const timeoutMs = composeTimeoutSetting() ?? DEPLOY_TIMEOUT_MS
  const env = stackDeployProcessEnvironment(project.environment, options.engineEnvironment)
  let outcome: ChildOutcome
  try {
    outcome = await runChild({file: program, args, cwd: project.directory, env, timeoutMs, signal: options.signal, maxStdoutBytes: OUTPUT_LIMIT, onStderr: options.onOutput})
  } catch (error) {
    throw notStarted(program, error)
  }
  // What it created and updated, once it is done: it prints that on its standard output, which runChild keeps.
  if (outcome.stdout.length > 0) options.onOutput?.(outcome.stdout)
  if (outcome.code === 0 && outcome.stopped === null) return
  const reason = failureReason(outcome, timeoutMs)
  const cause = stackDeployOutput(outcome.stderr)
  if (engineDidNotAnswer(reason)) {
    throw new ExternalError(`docker stack deploy could not reach the Docker engine: ${reason}`, {code: 'engine_unavailable', cause})
  }
  throw new StackDeployFailedError(reason, {cause, hint: stackDeployHint(reason)})
}

/** The first CLI that has `stack deploy --detach`; before it, `stack deploy` never waited for the tasks. */
const DETACH_FLAG_MAJOR = 26
const detachFlagOf = new Map<string, Promise<boolean>>()

/** Whether the CLI takes `--detach` (asked once per program): a CLI it cannot tell the version of gets the flag, as today's do. */
function hasDetachFlag(program: string): Promise<boolean> {
  let known = detachFlagOf.get(program)
  if (!known) {
    // `--version`, not `version`: the client's alone, without asking an engine.
    known = runChild({file: program, args: ['--version'], env: environmentWithoutSecrets(), timeoutMs: 15_000, maxStdoutBytes: 4096})
      .then((outcome) => {
        const major = Number(/version (\d+)\./i.exec(outcome.stdout.toString('utf8'))?.[1])
        return !Number.isFinite(major) || major >= DETACH_FLAG_MAJOR
      })
      .catch(() => true)
    detachFlagOf.set(program, known)
  }
  return known
}

function notStarted(program: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ENOENT' || code === 'EACCES') {
    return new ExternalError(`the docker CLI (${program}) could not be started: ${errorMessage(error)}`, {
      code: 'compose_missing',
      hint: 'a swarm stack is deployed with `docker stack deploy`: install the Docker CLI, or name it in KEDGE_DOCKER',
      cause: error,
    })
  }
  return new StackDeployFailedError(errorMessage(error), {cause: error})
}

function failureReason(outcome: ChildOutcome, timeoutMs: number): string {
  return whyKedgeStopped(outcome, timeoutMs, OUTPUT_LIMIT) ?? (stackDeployReason(outcome.stderr) || (outcome.signal ? `killed by ${outcome.signal}` : `exit code ${outcome.code}`))
}

/**
 * The StackCli port for one engine: `engineEnvironment` (a registered engine's DOCKER_HOST and TLS
 * variables) wins over one given with a deploy, so that the CLI deploys where kedge reads; `onOutput`
 * is shown what the CLI prints unless a deploy gives its own.
 */
export function stackCliFor(engineEnvironment?: Record<string, string>, onOutput?: (chunk: Buffer) => void): StackCli {
  return {
    deploy: (project, options) =>
      stackDeploy(project, {...options, engineEnvironment: engineEnvironment ?? options.engineEnvironment, onOutput: options.onOutput ?? onOutput}),
  }
}

/** The StackCli port for the engine kedge's own environment names. */
export const stackCli: StackCli = stackCliFor()
