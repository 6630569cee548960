import {accessSync, constants, readFileSync} from 'node:fs'
import {homedir} from 'node:os'
import path from 'node:path'

/**
 * The Compose v2 plugin binary `docker compose` runs, found where the Docker CLI looks for it and in the
 * same order: the config file's `cliPluginsExtraDirs`, `$DOCKER_CONFIG/cli-plugins` (else
 * `~/.docker/cli-plugins`), then the system directories. Run directly, as Compose's own standalone mode,
 * it skips the Docker CLI's start and its plugin metadata call: about 0.1 s of every Compose run
 * (bench/deploy-overhead.ts, bench/sync-time.ts). Null when none is found; the caller also checks that it
 * answers with the same version as `docker compose`.
 */
export function composePluginPath(env: NodeJS.ProcessEnv = process.env): string | null {
  const configDir = env.DOCKER_CONFIG || path.join(homedir(), '.docker')
  const directories = [...extraPluginDirectories(configDir), path.join(configDir, 'cli-plugins'), ...SYSTEM_PLUGIN_DIRECTORIES]
  for (const directory of directories) {
    const candidate = path.join(directory, 'docker-compose')
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // Not in this directory: the Docker CLI looks in the next one too.
    }
  }
  return null
}

const SYSTEM_PLUGIN_DIRECTORIES = ['/usr/local/lib/docker/cli-plugins', '/usr/local/libexec/docker/cli-plugins', '/usr/lib/docker/cli-plugins', '/usr/libexec/docker/cli-plugins']

function extraPluginDirectories(configDir: string): string[] {
  let text: string
  try {
    text = readFileSync(path.join(configDir, 'config.json'), 'utf8')
  } catch {
    return [] // No config file: the Docker CLI has no extra directories either.
  }
  try {
    const extra = (JSON.parse(text) as {cliPluginsExtraDirs?: unknown}).cliPluginsExtraDirs
    return Array.isArray(extra) ? extra.filter((entry): entry is string => typeof entry === 'string') : []
  } catch {
    return [] // The Docker CLI refuses such a file, and so does `docker compose`: the version check fails then.
  }
}
