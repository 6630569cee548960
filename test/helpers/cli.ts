import {spawn} from 'node:child_process'
import {fileURLToPath} from 'node:url'

export const KEDGE_BIN = fileURLToPath(new URL('../../bin/run.cjs', import.meta.url))

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

export interface CliOptions {
  home?: string
  cwd?: string
  env?: NodeJS.ProcessEnv
  timeoutMs?: number
  /** Written to the command's standard input, which is then closed. */
  input?: string
  /** Node's arguments that run kedge, instead of bin/run.cjs. */
  entry?: string[]
  /** Called with all of standard error so far, each time more arrives: to act once kedge has said something. */
  onStderr?: (stderr: string) => void
}

/** Runs the built kedge binary as a user would, in its own process. */
export function runKedge(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = {...process.env, FORCE_COLOR: '0'}
  delete env.KEDGE_HOME
  delete env.KEDGE_DEBUG
  Object.assign(env, options.home ? {KEDGE_HOME: options.home} : {}, options.env)
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.entry ?? [KEDGE_BIN]), ...args], {cwd: options.cwd, env, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe']})
    if (options.input !== undefined) child.stdin!.end(options.input)
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (chunk) => (stdout += chunk))
    child.stderr!.on('data', (chunk) => {
      stderr += chunk
      options.onStderr?.(stderr)
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code, stdout, stderr})
    })
  })
}

/** Runs kedge with --json and parses stdout, which must hold nothing but the JSON document. */
export async function runKedgeJson<T = unknown>(args: string[], options: CliOptions = {}): Promise<CliResult & {json: T}> {
  const result = await runKedge([...args, '--json'], options)
  let json: T
  try {
    json = JSON.parse(result.stdout) as T
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}):\n${result.stdout}\nstderr:\n${result.stderr}`)
  }
  return {...result, json}
}
