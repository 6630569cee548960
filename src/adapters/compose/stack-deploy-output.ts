import {redact} from '../../model/secrets/redaction.js'
import {boundedLine, crashLine} from '../../model/tool-output.js'

/*
 * Reading what `docker stack deploy` prints on its standard error: its warnings, and the one line that says
 * why it failed. It prints what it creates and updates on its standard output, and its refusal last on
 * its standard error: the stack loader's (`services.a.ports.0.published must be a integer`), or the
 * engine's through its API (`failed to create service demo_a: Error response from daemon: rpc error: …`).
 */

const ERROR_LINES_KEPT = 20

/**
 * The engine's warning for each service it updates to an image no registry answered for, which
 * `--resolve-image always` asks about (local images, a registry the engine does not reach): four lines,
 * and not a failure. Pinning is best effort; kedge records what the service runs either way.
 */
const UNPINNED_IMAGE =
  /image \S+ could not be accessed on a registry to record\s+its digest\.\s+Each node will access \S+ independently,\s+possibly leading to different nodes running different\s+versions of the image\./g

/**
 * Lines that warn and do not explain a failure: the rest of the unpinned-image warning were it worded
 * otherwise, the keys the stack loader ignores (swarm-compat says so before the deploy), the CLI's own warnings.
 */
const WARNING_LINE = /could not be accessed on a registry to record|^Ignoring (unsupported|deprecated) options:|^WARNING\b/

/** The API's and gRPC's wrappers around the engine's own words, which add nothing a person acts on. */
const WRAPPERS = /Error response from daemon: |rpc error: code = \w+ desc = /g

/** How the docker CLI says that the engine did not answer. */
const ENGINE_GONE = /cannot connect to the docker daemon|is the docker daemon running|error during connect/i

/** The engine's refusal when it is in no swarm, or a worker: the CLI asks it before anything else. */
const NOT_A_MANAGER = /not a swarm manager/i

/**
 * The CLI's explanation as one line, redacted, without its warnings: its last lines, which hold its
 * refusal, or of a crash of the Go runtime the line that says so. Empty when it printed nothing else.
 */
export function stackDeployReason(stderr: string): string {
  const lines = stderr
    .replace(UNPINNED_IMAGE, '')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !WARNING_LINE.test(line))
  const crash = crashLine(lines)
  if (crash) return boundedLine(redact(crash))
  const kept = [...new Set(lines.map((line) => line.replace(WRAPPERS, '')))].slice(-ERROR_LINES_KEPT)
  // The CLI echoes image references and URLs as given, credentials included.
  return boundedLine(redact(kept.join('; ')))
}

/** Whether the CLI's line says the engine did not answer, rather than refused. */
export function engineDidNotAnswer(reason: string): boolean {
  return ENGINE_GONE.test(reason)
}

/** A hint for what the CLI's line says, where kedge knows one. */
export function stackDeployHint(reason: string): string | undefined {
  if (NOT_A_MANAGER.test(reason)) return 'a swarm stack is deployed through a manager of its swarm: give the stack an engine that is one, or make this one a manager (`docker swarm init`)'
  if (/unsupported Compose file version: 1\.0/.test(reason)) return 'this docker CLI reads a stack\'s compose files by their version: add `version: "3.8"` at the top of them, or install a docker CLI of 25 or later'
  return undefined
}

/** The CLI's standard error as kept, redacted: an error's cause, for --debug. */
export function stackDeployOutput(stderr: string): Error | undefined {
  return stderr.trim() === '' ? undefined : new Error(`docker stack deploy printed:\n${redact(stderr.trimEnd())}`)
}
