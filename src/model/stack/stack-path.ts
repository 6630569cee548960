import path from 'node:path'

import {InvalidInputError, quoted} from '../errors.js'

/** Normalises `repo add --path` to a POSIX path inside the repository; '.' is its root. */
export function normalizeStackPath(input: string | undefined): string {
  if (input === undefined || input.trim() === '') return '.'
  const normalized = path.posix.normalize(input.trim().replaceAll('\\', '/')).replace(/\/+$/, '')
  if (path.posix.isAbsolute(normalized) || normalized === '..' || normalized.startsWith('../')) {
    throw new InvalidInputError(`invalid path ${quoted(input)}: it must stay inside the repository`, {
      code: 'invalid_path',
      hint: 'give a sub-directory relative to the repository root, e.g. stacks/web',
    })
  }
  return normalized === '' ? '.' : normalized
}
