import {readFileSync, statSync} from 'node:fs'
import path from 'node:path'

import {errorMessage} from '../../model/errors.js'
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

/** The verdict on the files as they were when last read, by a fingerprint of each (inode, size, mtime). */
let cached: {fingerprint: string; verdict: string | null} | null = null

/**
 * Why git would reach a remote differently from kedge's in-process ref discovery because of the host's
 * git config, or null when nothing there matters. Like git, which reads them at every poll, it sees a
 * change from the next poll on: the files are stat'ed at every call and read again when one changed.
 * A file that cannot be read or parsed counts as mattering. Synchronous: these are a few small files
 * in /etc and the home directory, and a stat costs far less than a round trip through the thread pool.
 */
export function hostGitSettingThatMatters(): string | null {
  const files = hostConfigFiles()
  const fingerprint = files.map(fingerprintOf).join('\n')
  if (cached?.fingerprint !== fingerprint) cached = {fingerprint, verdict: readVerdict(files)}
  return cached.verdict
}

function fingerprintOf(file: string): string {
  try {
    // A missing file, the usual case for most of them, is told without an exception: this runs at every poll.
    const stats = statSync(file, {bigint: true, throwIfNoEntry: false})
    if (!stats) return `${file} ENOENT`
    return `${file} ${stats.ino} ${stats.size} ${stats.mtimeNs} ${stats.ctimeNs}`
  } catch (error) {
    return `${file} ${(error as NodeJS.ErrnoException).code ?? 'error'}`
  }
}

function readVerdict(files: string[]): string | null {
  for (const file of files) {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
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
