import {randomBytes} from 'node:crypto'
import {closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, writeSync} from 'node:fs'
import path from 'node:path'

/**
 * Creates `file` (mode 0600) with `content` unless it exists, and returns what the file holds: written
 * whole and synced under a temporary name, then linked into place, so that another process never reads
 * it half-written, two processes creating it at once both end up with the same content, and a crash
 * never leaves it empty.
 */
export function writeFileOnce(file: string, content: string): string {
  const dir = path.dirname(file)
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`
  mkdirSync(dir, {recursive: true})
  try {
    const fd = openSync(temporary, 'wx', 0o600)
    try {
      writeSync(fd, content)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    try {
      linkSync(temporary, file)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8')
      throw error
    }
    syncDirectory(dir)
    return content
  } finally {
    rmSync(temporary, {force: true})
  }
}

function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}
