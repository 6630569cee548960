import {existsSync} from 'node:fs'
import path from 'node:path'

import {InvalidConfigError, InvalidInputError, quoted} from '../errors.js'
import type {KedgeConfig} from './kedge-config.js'

/** Compose's own search order when no file is named. */
export const DEFAULT_COMPOSE_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'] as const

/**
 * The compose files of a stack, relative to `stackDir`. Named files must exist and stay inside the
 * repository checkout, so a repository cannot point kedge at files elsewhere on the host.
 */
export function resolveComposeFiles(repoRoot: string, stackDir: string, config: KedgeConfig): string[] {
  if (config.composeFiles) {
    return config.composeFiles.map((file) => {
      const absolute = path.resolve(stackDir, file)
      const fromRoot = path.relative(repoRoot, absolute)
      if (path.isAbsolute(file) || fromRoot.startsWith('..')) {
        throw new InvalidConfigError(config.file ?? 'kedge.yaml', 'docker.compose_file', `${quoted(file)} is outside the repository`)
      }
      if (!existsSync(absolute)) {
        throw new InvalidConfigError(config.file ?? 'kedge.yaml', 'docker.compose_file', `${quoted(file)} does not exist`)
      }
      return file
    })
  }
  const found = DEFAULT_COMPOSE_FILES.find((file) => existsSync(path.join(stackDir, file)))
  if (!found) {
    const where = path.relative(repoRoot, stackDir) || 'the repository root'
    throw new InvalidInputError(`no compose file in ${where}: looked for ${DEFAULT_COMPOSE_FILES.join(', ')}`, {
      code: 'no_compose_file',
      hint: 'add a compose file, or name it in kedge.yaml under docker.compose_file',
    })
  }
  return [found]
}
