import type {RepositoryFiles} from '../../ports/repository-files.js'
import {readComposeText, resolveComposeFiles} from './compose-files.js'
import {readKedgeConfig} from './kedge-config-file.js'
import {readRepositoryText, repositoryDirectory} from './repository-file.js'

export const checkoutFiles: RepositoryFiles = {
  readKedgeConfig,
  resolveComposeFiles,
  readComposeText,
  readText: readRepositoryText,
  directory: repositoryDirectory,
}
