import {writeFileSync} from 'node:fs'

import type {SecretFile} from '../../model/config/secrets-config.js'
import {renderOverrideFile} from '../../model/compose/override-file.js'
import type {RepositoryRow} from '../../model/rows.js'
import type {StackSnapshot} from '../../model/stack/stack-snapshot.js'
import type {KedgeContext} from '../context.js'
import type {StackPaths} from '../repositories/stack-paths.js'
import {composeProjectOf} from './compose-project.js'
import {envFileText, openStackSecrets, usesSecret, type OpenedSecret} from './stack-secrets.js'

/**
 * `up` of `services` with the stack's SOPS files decrypted (from the files just placed in the stack
 * directory). Those given as environment are written to a private, memory-backed directory and named as
 * env files of the services that use them, in kedge's override file; the directory goes once `up` is
 * over, and the override file is written again without it, so the plaintext lives on only where Compose
 * put it. Those given as files (`target`) are put in the containers themselves, created by `up
 * --no-start` and started once they hold them: in each container's own file system, so a restart finds
 * them, and on no host disk.
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
  const environment = opened.filter((secret) => secret.declared.target === undefined)
  const files = opened.filter((secret) => secret.declared.target !== undefined)
  const envFiles = environment.map((secret, index) => ({name: `${index}.env`, content: envFileText(secret)}))
  const project = composeProjectOf(paths, snapshot)
  await context.privateFiles.withFiles(envFiles, async (filePaths) => {
    const named = new Map(snapshot.services.map((service) => [service.name, environment.flatMap((secret, index) => (usesSecret(secret.declared, service.name) ? [filePaths[index]!] : []))]))
    writeFileSync(paths.overrideFile, renderOverrideFile(repository.name, snapshot, {envFiles: named}))
    try {
      const given = services.filter((service) => files.some((secret) => usesSecret(secret.declared, service)))
      const others = services.filter((service) => !given.includes(service))
      if (given.length > 0) {
        await context.compose.up(project, {signal, services: given, noStart: true, forceRecreate: options.forceRecreate})
        await putSecretFiles(context, snapshot.project, given, files)
      }
      // The containers that hold files now are started, not recreated: that would make them anew, without the files.
      const starting = options.forceRecreate ? given : services
      if (options.forceRecreate && others.length > 0) await context.compose.up(project, {signal, services: others, forceRecreate: true})
      if (starting.length > 0) await context.compose.up(project, {signal, services: starting})
    } finally {
      // Compose reads the override for every later command (down, a heal's up): it must not name files that are gone.
      writeFileSync(paths.overrideFile, renderOverrideFile(repository.name, snapshot))
    }
  })
}

/** Each file secret into each container of the services that use it that `up --no-start` created. */
async function putSecretFiles(context: KedgeContext, project: string, services: readonly string[], files: readonly OpenedSecret[]): Promise<void> {
  const created = (await context.engine.listKedgeContainers(project)).filter((container) => services.includes(container.service) && container.state === 'created')
  for (const container of created) {
    const given = files.filter((secret) => usesSecret(secret.declared, container.service))
    await context.engine.putContainerFiles(
      container.id,
      given.map(({declared, secret}) => ({path: declared.target!, content: secret.text, mode: declared.mode!})),
    )
  }
}
