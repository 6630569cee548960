import {writeFileSync} from 'node:fs'

import type {SecretFile} from '../../model/config/secrets-config.js'
import {renderOverrideFile} from '../../model/compose/override-file.js'
import type {RepositoryRow} from '../../model/rows.js'
import type {StackSnapshot} from '../../model/stack/stack-snapshot.js'
import type {KedgeContext} from '../context.js'
import type {StackPaths} from '../repositories/stack-paths.js'
import {composeProjectOf} from './compose-project.js'
import {envFileText, openStackSecrets, usesSecret} from './stack-secrets.js'

/**
 * `up` of `services` with the stack's SOPS files decrypted (from the files just placed in the stack
 * directory) into a private, memory-backed directory and named as env files of the services that use
 * them, in kedge's override file. The directory goes once `up` is over, and the override file is written
 * again without it: the plaintext lives on only in the containers' environment, where Compose put it.
 */
export async function upWithSecrets(
  context: KedgeContext,
  paths: StackPaths,
  repository: Pick<RepositoryRow, 'name' | 'ageKey'>,
  snapshot: StackSnapshot,
  declared: readonly SecretFile[],
  services: readonly string[],
  signal?: AbortSignal,
  options: {forceRecreate?: boolean} = {},
): Promise<void> {
  const opened = await openStackSecrets(context, repository, paths.stackDir, declared)
  const files = opened.map((secret, index) => ({name: `${index}.env`, content: envFileText(secret)}))
  await context.privateFiles.withFiles(files, async (filePaths) => {
    const envFiles = new Map(snapshot.services.map((service) => [service.name, opened.flatMap((secret, index) => (usesSecret(secret.declared, service.name) ? [filePaths[index]!] : []))]))
    writeFileSync(paths.overrideFile, renderOverrideFile(repository.name, snapshot, {envFiles}))
    try {
      await context.compose.up(composeProjectOf(paths, snapshot), {signal, services, forceRecreate: options.forceRecreate})
    } finally {
      // Compose reads the override for every later command (down, a heal's up): it must not name files that are gone.
      writeFileSync(paths.overrideFile, renderOverrideFile(repository.name, snapshot))
    }
  })
}
