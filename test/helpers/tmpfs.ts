import {execFileSync} from 'node:child_process'
import {closeSync, mkdtempSync, openSync, rmSync, writeSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {after} from 'node:test'

const FILLER = 'filler'
const PAGE = Buffer.alloc(4096)

/**
 * A small tmpfs of its own (root only), on which a test can cause the real faults of a disk: fill it
 * until writes fail with ENOSPC, or remount it read-only. Unmounted when the test file ends.
 */
export class SmallFilesystem {
  readonly dir: string

  constructor(size = '4m') {
    this.dir = mkdtempSync(path.join(tmpdir(), 'kedge-fs-'))
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', this.dir])
    after(() => {
      // Lazily: a process the test failed to stop may still hold a file open there.
      execFileSync('umount', ['--lazy', this.dir])
      rmSync(this.dir, {recursive: true, force: true})
    })
  }

  /** Writes zeros until the filesystem refuses more, then leaves `keepFree` bytes of it free. */
  fill(keepFree = 0): void {
    const file = path.join(this.dir, FILLER)
    const fd = openSync(file, 'a')
    try {
      for (;;) writeSync(fd, PAGE)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error
    } finally {
      closeSync(fd)
    }
    if (keepFree > 0) execFileSync('truncate', ['--size', `-${keepFree}`, file])
  }

  unfill(): void {
    rmSync(path.join(this.dir, FILLER), {force: true})
  }

  usedBytes(): number {
    return Number(execFileSync('df', ['--block-size=1', '--output=used', this.dir], {encoding: 'utf8'}).trim().split('\n').at(-1))
  }

  remount(mode: 'ro' | 'rw'): void {
    execFileSync('mount', ['-o', `remount,${mode}`, this.dir])
  }
}
