import type {PrivateFiles} from '../../ports/private-files.js'
import {createPrivateDirectory, removePrivateDirectory, writePrivateFile} from './private-directory.js'

/** The PrivateFiles port over private-directory.ts: the directory is also removed if kedge exits first. */
export function privateFiles(): PrivateFiles {
  return {
    async withFiles(files, use) {
      if (files.length === 0) return use([])
      const directory = createPrivateDirectory()
      try {
        return await use(files.map((file) => writePrivateFile(directory, file.name, file.content)))
      } finally {
        removePrivateDirectory(directory)
      }
    },
  }
}
