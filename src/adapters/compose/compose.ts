import {
  buildArgs,
  commandLine,
  configArgs,
  downArgs,
  generationOf,
  parseComposeOverride,
  pullArgs,
  upArgs,
  type ComposeCommand,
  type ComposeLaunch,
  type ComposeProject,
  type DownOptions,
  type UpOptions,
} from '../../model/compose/compose-invocation.js'
import {boundedLine, crashLine} from '../../model/tool-output.js'
import {composeTimeoutSetting} from '../../model/config/compose-timeout.js'
import {ComposeFailedError, errorMessage, ExternalError, type KedgeError} from '../../model/errors.js'
import {BuildFailedError} from '../../ports/compose.js'
import {addressPoolHint} from '../../model/compose/compose-errors.js'
import {redact} from '../../model/secrets/redaction.js'
import {environmentWithoutSecrets} from '../../model/secrets/secret-environment.js'
import {withoutDockerEndpoint} from '../../model/engine/engine-endpoint.js'
import {runChild, type ChildOutcome, whyKedgeStopped} from '../process/child-process.js'
import {composePluginPath} from './compose-plugin.js'

const VERSION_TIMEOUT_MS = 15_000
const CONFIG_TIMEOUT_MS = 60_000
const APPLY_TIMEOUT_MS = 15 * 60_000
const ERROR_LINES_KEPT = 20
/** The merged configuration of any real stack is far smaller; one that is not (an alias bomb) is not held. */
const OUTPUT_LIMIT = 64 * 1024 * 1024

let detected: Promise<ComposeCommand> | undefined

/**
 * `KEDGE_COMPOSE` if set, else `docker compose` (v2), else `docker-compose` (v1, legacy); asked once per
 * process. `docker compose` runs as its plugin binary directly where that is the one the Docker CLI runs
 * (see composePluginPath).
 */
export function composeCommand(): Promise<ComposeCommand> {
  detected ??= detectComposeCommand().catch((error: unknown) => {
    detected = undefined
    throw error
  })
  return detected
}

async function detectComposeCommand(): Promise<ComposeCommand> {
  const override = process.env.KEDGE_COMPOSE
  const candidates: ComposeLaunch[] = override
    ? [{argv: parseComposeOverride(override)}]
    : [{argv: ['docker', 'compose']}, {argv: ['docker-compose']}]
  for (const launch of candidates) {
    const [version, direct] = await Promise.all([versionOf(launch), directPlugin(launch)])
    if (version === null) continue
    if (direct && direct.version === version) return {...direct.launch, generation: generationOf(version)}
    return {...launch, generation: generationOf(version)}
  }
  throw new ExternalError(
    override ? `KEDGE_COMPOSE="${override}" does not run Docker Compose` : 'Docker Compose was not found: neither "docker compose" nor "docker-compose" runs',
    {code: 'compose_missing', hint: 'install the Docker Compose plugin (or docker-compose), or name it in KEDGE_COMPOSE'},
  )
}

/** For `docker compose`: its plugin binary, started standalone, with the version it reports. */
async function directPlugin(launch: ComposeLaunch): Promise<{launch: ComposeLaunch; version: string} | null> {
  if (launch.argv.length !== 2 || launch.argv[0] !== 'docker' || launch.argv[1] !== 'compose') return null
  const plugin = composePluginPath()
  if (plugin === null) return null
  const direct = {argv: [plugin]}
  const version = await versionOf(direct)
  return version === null ? null : {launch: direct, version}
}

async function versionOf(launch: ComposeLaunch): Promise<string | null> {
  const {file, args} = commandLine(launch, ['version', '--short'])
  try {
    const outcome = await runChild({file, args, env: environmentWithoutSecrets(), timeoutMs: VERSION_TIMEOUT_MS, maxStdoutBytes: OUTPUT_LIMIT})
    return outcome.code === 0 ? outcome.stdout.toString('utf8').trim() : null
  } catch {
    // Not there to be started (ENOENT, EACCES): not this Compose.
    return null
  }
}

export interface ComposeRunOptions {
  signal?: AbortSignal
  /** Compose's own output as it prints it (a command's --verbose). */
  onOutput?: (chunk: Buffer) => void
  /** A registered engine's DOCKER_HOST (and TLS variables): Compose applies to that engine, whatever kedge's own environment names. */
  engineEnvironment?: Record<string, string>
}

/** The merged configuration Compose would apply, as YAML; fails with Compose's own message when invalid. */
export async function composeConfig(project: ComposeProject, options: ComposeRunOptions = {}): Promise<string> {
  return runCompose(project, configArgs(project), 'validate the compose files', CONFIG_TIMEOUT_MS, options)
}

export async function composePull(project: ComposeProject, services: string[], options: ComposeRunOptions = {}): Promise<void> {
  await runCompose(project, pullArgs(project, services), 'pull images', APPLY_TIMEOUT_MS, options)
}

/**
 * Builds the services' images. Both generations print the build's steps on standard output and the
 * failure on standard error; kedge keeps both, and shows the steps as they come (--verbose).
 */
export async function composeBuild(project: ComposeProject, services: string[], options: ComposeRunOptions = {}): Promise<void> {
  const what = `build ${services.join(', ')}`
  const {outcome, timeoutMs} = await startCompose(project, buildArgs(project, services), what, APPLY_TIMEOUT_MS, options, {relayStdout: true})
  if (succeeded(outcome)) return
  const failure = composeFailure(outcome, what, timeoutMs)
  // The engine gone, or kedge stopping it, says nothing of what the commit builds.
  if (failure.code === 'engine_unavailable' || outcome.stopped === 'aborted') throw failure
  const reason = whyKedgeStopped(outcome, timeoutMs, OUTPUT_LIMIT) ?? buildReason(outcome)
  throw new BuildFailedError(services, `compose could not ${what}: ${reason}`, `${outcome.stdout.toString('utf8')}${outcome.stderr}`, {
    cause: failure,
    hint: 'the deployment keeps what the build printed: see `kedge history --verbose`',
  })
}

export async function composeUp(project: ComposeProject, options: ComposeRunOptions & UpOptions): Promise<void> {
  await runCompose(project, upArgs(project, options), 'apply the stack', APPLY_TIMEOUT_MS, options)
}

export async function composeDown(project: ComposeProject, options: ComposeRunOptions & DownOptions): Promise<void> {
  await runCompose(project, downArgs(project, options), 'take the stack down', APPLY_TIMEOUT_MS, options)
}

/** How Compose v1 and v2 say that the Docker engine did not answer. */
const ENGINE_GONE = /(couldn't|cannot) connect to (the )?docker daemon|is the docker daemon running|error while fetching server api version: .*(connection (aborted|refused)|no such file)/i

async function runCompose(
  project: ComposeProject,
  args: string[],
  what: string,
  defaultTimeoutMs: number,
  options: ComposeRunOptions,
): Promise<string> {
  const {outcome, timeoutMs} = await startCompose(project, args, what, defaultTimeoutMs, options)
  if (succeeded(outcome)) return outcome.stdout.toString('utf8')
  throw composeFailure(outcome, what, timeoutMs)
}

/** Runs Compose to its end, whatever the end; fails only when it could not be started. */
async function startCompose(
  project: ComposeProject,
  args: string[],
  what: string,
  defaultTimeoutMs: number,
  options: ComposeRunOptions,
  relay: {relayStdout?: boolean} = {},
): Promise<{outcome: ChildOutcome; timeoutMs: number}> {
  const timeoutMs = composeTimeoutSetting() ?? defaultTimeoutMs
  const command = await composeCommand()
  const {file, args: argv} = commandLine(command, args)
  // The repository's local env file after the host's variables: Compose prefers its process environment
  // to the stack's committed .env file (both generations), so a host-local value wins over the committed one.
  // A registered engine's variables last, and kedge's own DOCKER_HOST or DOCKER_CONTEXT left out: with both
  // set, DOCKER_HOST wins over a context, and Compose would apply to another engine than the one kedge lists.
  const env = options.engineEnvironment
    ? {...withoutDockerEndpoint(environmentWithoutSecrets()), ...project.environment, ...options.engineEnvironment}
    : {...environmentWithoutSecrets(), ...project.environment}
  try {
    const onStdout = relay.relayStdout ? options.onOutput : undefined
    const outcome = await runChild({file, args: argv, cwd: project.directory, env, timeoutMs, signal: options.signal, maxStdoutBytes: OUTPUT_LIMIT, onStderr: options.onOutput, onStdout})
    return {outcome, timeoutMs}
  } catch (error) {
    throw new ComposeFailedError(what, errorMessage(error), {cause: error})
  }
}

function succeeded(outcome: ChildOutcome): boolean {
  return outcome.code === 0 && outcome.stopped === null
}

/** Why Compose failed, as kedge's error: the engine not answering, else Compose's own one line. */
function composeFailure(outcome: ChildOutcome, what: string, timeoutMs: number): KedgeError {
  const detail = failureDetail(outcome, timeoutMs)
  const cause = composeOutput(outcome.stderr)
  if (ENGINE_GONE.test(detail)) {
    return new ExternalError(`compose could not ${what}: the Docker engine did not answer (${detail})`, {code: 'engine_unavailable', cause})
  }
  return new ComposeFailedError(what, detail, {cause, hint: addressPoolHint(detail) ?? undefined})
}

function failureDetail(outcome: ChildOutcome, timeoutMs: number): string {
  return whyKedgeStopped(outcome, timeoutMs, OUTPUT_LIMIT) ?? (composeReason(outcome.stderr) || (outcome.signal ? `killed by ${outcome.signal}` : `exit code ${outcome.code}`))
}

/** Compose's standard error as kept (its first and last 64 KiB when longer), redacted: an error's cause, for --debug. */
function composeOutput(stderr: string): Error | undefined {
  return stderr.trim() === '' ? undefined : new Error(`Compose printed:\n${redact(stderr.trimEnd())}`)
}

/** Lines of a failed build that say nothing of why: v1's closing line and the legacy builder's notice, v2's progress. */
const BUILD_NOISE = /^(Service '.*' failed to build\b|Building \S+$|DEPRECATED:|Install the buildx component|https?:\/\/docs\.docker\.com\/|#\d+ )/

/**
 * A failed build's one line: v2's `failed to solve: ...`, v1's `The command '...' returned a non-zero
 * code: N`, else the last thing either printed on standard error, redacted.
 */
function buildReason(outcome: ChildOutcome): string {
  const lines = outcome.stderr
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !WARNING_LINE.test(line) && !BUILD_NOISE.test(line))
  const said = lines.findLast((line) => /^(failed to solve|error)\b/i.test(line)) ?? lines.at(-1)
  return said ? boundedLine(redact(said)) : outcome.signal ? `killed by ${outcome.signal}` : `exit code ${outcome.code}`
}

/** Warnings, not the error: v2's logrus lines (`level=warning`), v1's `WARNING:` lines. */
const WARNING_LINE = /(^|\s)level=warn(ing)?\b|^WARN(ING)?\b/

/**
 * Compose's own explanation: its error lines when it printed some, else its last lines, without progress
 * noise, joined into one line (an error is one line; v1 says what is invalid on the line after "... is
 * invalid because:"); of a Python traceback (Compose v1 crashing), the exception it ends with.
 */
function composeReason(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !/\.\.\. *(done|error)?$/i.test(line) && !WARNING_LINE.test(line))
  // Compose v2 crashing (out of memory, a panic) prints a goroutine dump: its first line says what happened.
  const crash = crashLine(lines)
  if (crash) return boundedLine(redact(crash))
  if (lines.some((line) => line.startsWith('Traceback (most recent call last)'))) {
    // Compose v1's frozen binary prints "[pid] Failed to execute script" after the exception line.
    const exception = lines.findLast((line) => /^[\w.]+(Error|Exception)\b/.test(line))
    if (exception) return boundedLine(redact(exception))
  }
  const errors = lines.filter((line) => /^(error|service ".*" )/i.test(line))
  const kept = [...new Set(errors.length > 0 ? errors : lines)].slice(-ERROR_LINES_KEPT)
  // Compose echoes image references and URLs as given, credentials included.
  return boundedLine(redact(kept.reduce((text, line) => (text === '' ? line : `${text}${/[:,]$/.test(text) ? ' ' : '; '}${line}`), '')))
}
