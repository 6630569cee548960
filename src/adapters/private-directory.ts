import {accessSync, constants, mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

/**
 * A new directory only this user can enter (mkdtemp makes it 0700), for files that hold secrets while a
 * tool reads them: in /dev/shm when it exists, so they never reach a disk. The caller removes it.
 */
export function createPrivateDirectory(prefix: string): string {
  return mkdtempSync(path.join(privateTempRoot(), prefix))
}

function privateTempRoot(): string {
  try {
    accessSync('/dev/shm', constants.W_OK)
    return '/dev/shm'
  } catch {
    return tmpdir()
  }
}
