import type {RepositoryFiles} from '../../ports/repository-files.js'
import {readComposeText, resolveComposeFiles} from './compose-files.js'
import {readKedgeConfig, readStackConfig} from './kedge-config-file.js'
import {readRepositoryText, repositoryDirectory, repositoryHookFile} from './repository-file.js'
import {stackTree} from './stack-tree.js'

export const checkoutFiles: RepositoryFiles = {
  readKedgeConfig,
  readStackConfig,
  resolveComposeFiles,
  readComposeText,
  readText: readRepositoryText,
  directory: repositoryDirectory,
  stackTree,
  hookFile: repositoryHookFile,
}
