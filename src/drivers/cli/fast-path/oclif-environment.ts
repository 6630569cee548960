import {existsSync} from 'node:fs'
import {homedir, tmpdir} from 'node:os'
import path from 'node:path'

import type {OclifSettings} from './manifest.js'

/**
 * Whether oclif would do anything in this environment that the fast path does not: print its debug log
 * (DEBUG, or KEDGE_DEBUG, which also asks kedge for stack traces), take --json from KEDGE_CONTENT_TYPE,
 * colour JSON with a user's theme, or load a user's plugins (which may add hooks). oclif's rules for its
 * directories, in short: anything unusual sends the command to oclif.
 */
export function oclifWouldDiffer(oclif: OclifSettings, env: NodeJS.ProcessEnv = process.env): boolean {
  const scoped = (name: string) => env[`${oclif.envPrefix}${name}`]
  if (env.DEBUG || scoped('DEBUG') || scoped('CONTENT_TYPE')) return true
  const home = env.HOME || homedir() || tmpdir()
  const configDir = scoped('CONFIG_DIR') || path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), oclif.dirname)
  const dataDir = scoped('DATA_DIR') || path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), oclif.dirname)
  return existsSync(path.join(configDir, 'theme.json')) || existsSync(path.join(dataDir, 'package.json'))
}
