import path from 'node:path'

import {InvalidConfigError, InvalidInputError, quoted} from '../../model/errors.js'
import {assertTokensAtMost, COMPOSE_FILE_MAX_TOKENS} from '../../model/config/bounded-yaml.js'
import type {KedgeConfig} from '../../model/config/kedge-config.js'
import {tooComplex} from '../../model/config/compose-yaml.js'
import {COMPOSE_FILE_MAX_BYTES} from '../../model/config/repository-limits.js'
import {readRepositoryText, refusalDetail, repositoryEntry} from './repository-file.js'

/** Compose's own search order when no file is named. */
export const DEFAULT_COMPOSE_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'] as const

/**
 * The compose files of a stack, relative to `stackDir` (a real directory of the repository at `repoRoot`).
 * Named files must exist and stay inside the repository checkout, so a repository cannot point kedge at
 * files elsewhere on the host. Every file, named or found, is checked as kedge reads it (a regular file
 * inside the repository, of at most COMPOSE_FILE_MAX_BYTES and COMPOSE_FILE_MAX_TOKENS) before Compose
 * is given it.
 */
export function resolveComposeFiles(repoRoot: string, stackDir: string, config: KedgeConfig): string[] {
  const files = config.composeFiles ? config.composeFiles.map((file) => namedComposeFile(repoRoot, stackDir, config, file)) : [defaultComposeFile(repoRoot, stackDir)]
  for (const file of files) readComposeText(repoRoot, stackDir, file)
  return files
}

function namedComposeFile(repoRoot: string, stackDir: string, config: KedgeConfig, file: string): string {
  const invalid = (detail: string, hint?: string) => new InvalidConfigError(config.file ?? 'kedge.yaml', 'docker.compose_file', `${quoted(file)} ${detail}`, {hint})
  const fromRoot = repositoryPath(repoRoot, stackDir, file)
  if (path.isAbsolute(file) || fromRoot.startsWith('..')) throw invalid('is outside the repository')
  const entry = repositoryEntry(repoRoot, fromRoot, (reason, hint) => invalid(refusalDetail(reason), hint))
  if (entry.kind === 'missing') throw invalid('does not exist')
  return file
}

function defaultComposeFile(repoRoot: string, stackDir: string): string {
  for (const file of DEFAULT_COMPOSE_FILES) {
    const fromRoot = repositoryPath(repoRoot, stackDir, file)
    const entry = repositoryEntry(repoRoot, fromRoot, (reason, hint) => new InvalidConfigError(fromRoot, undefined, refusalDetail(reason), {hint}))
    if (entry.kind !== 'missing') return file
  }
  const where = path.relative(repoRoot, stackDir) || 'the repository root'
  throw new InvalidInputError(`no compose file in ${where}: looked for ${DEFAULT_COMPOSE_FILES.join(', ')}`, {
    code: 'no_compose_file',
    hint: 'add a compose file, or name it in kedge.yaml under docker.compose_file',
  })
}

/** A compose file's path relative to the repository root, POSIX separators. */
function repositoryPath(repoRoot: string, stackDir: string, file: string): string {
  return path.relative(repoRoot, path.resolve(stackDir, file)).split(path.sep).join('/')
}

/**
 * The text of a compose file of the stack, read safely (see readRepositoryText) and no larger than
 * kedge parses (COMPOSE_FILE_MAX_TOKENS); refused with an InvalidConfigError naming it otherwise.
 */
export function readComposeText(repoRoot: string, stackDir: string, file: string): string {
  const fromRoot = repositoryPath(repoRoot, stackDir, file)
  const text = readRepositoryText(repoRoot, fromRoot, COMPOSE_FILE_MAX_BYTES)
  if (text === null) throw new InvalidConfigError(fromRoot, undefined, 'does not exist')
  try {
    assertTokensAtMost(text, COMPOSE_FILE_MAX_TOKENS)
  } catch (error) {
    throw tooComplex(error, fromRoot)
  }
  return text
}
