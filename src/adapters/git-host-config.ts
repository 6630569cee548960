import {readFile} from 'node:fs/promises'
import path from 'node:path'

import {errorMessage} from '../errors.js'
import {gitConfigKeys} from './git-config-keys.js'

/**
 * Sections of the host's git config that change how git reaches a remote or what it may see there:
 * URL rewriting (url.<base>.insteadOf), any http.* setting (proxy, TLS trust, cookies, headers),
 * includes (whose files are not followed here), allowed protocols, and hidden refs.
 */
const SECTIONS_ONLY_GIT_APPLIES = new Set(['url', 'http', 'include', 'includeif', 'protocol', 'uploadpack', 'transfer'])

/**
 * The files git reads for its system and global settings, with the environment kedge gives git (HOME
 * and XDG_CONFIG_HOME; no GIT_CONFIG_* overrides). A git built with another prefix reads another
 * system file: its settings are not seen here.
 */
function hostConfigFiles(): string[] {
  const files = ['/etc/gitconfig']
  const home = process.env.HOME
  const xdg = process.env.XDG_CONFIG_HOME
  if (xdg) files.push(path.join(xdg, 'git', 'config'))
  else if (home) files.push(path.join(home, '.config', 'git', 'config'))
  if (home) files.push(path.join(home, '.gitconfig'))
  return files
}

/**
 * Why git would reach a remote differently from kedge's in-process ref discovery because of the host's
 * git config, or null when nothing there matters. The files are read at every call, as git would read
 * them at every poll, so a setting added while serve runs applies from the next poll on; a file that
 * cannot be read or parsed counts as mattering.
 */
export async function hostGitSettingThatMatters(): Promise<string | null> {
  for (const file of hostConfigFiles()) {
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') continue
      return `${file} cannot be read: ${errorMessage(error)}`
    }
    const keys = gitConfigKeys(text)
    if (!keys) return `${file} is not a git config file kedge can read`
    const key = keys.find((candidate) => SECTIONS_ONLY_GIT_APPLIES.has(candidate.section))
    if (key) return `${file} sets ${key.name}`
  }
  return null
}
