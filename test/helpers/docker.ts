import {execFileSync} from 'node:child_process'

export function docker(...args: string[]): string {
  return execFileSync('docker', args, {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
}

/** `docker compose` when the v2 plugin is there, else `docker-compose`, as kedge itself chooses. */
export function composeCommand(): string[] {
  try {
    execFileSync('docker', ['compose', 'version'], {stdio: 'ignore'})
    return ['docker', 'compose']
  } catch {
    return ['docker-compose']
  }
}
