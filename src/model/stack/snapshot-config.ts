import {defaultKedgeConfig, parseKedgeConfig, type KedgeConfig} from '../config/kedge-config.js'
import {parseStackConfig, withStackOverrides} from '../config/stack-config.js'
import type {StackSnapshot} from './stack-snapshot.js'

/** The settings a snapshot was deployed with: its kedge.yaml, and a stack's own over the repository's. They were valid then, so they parse. */
export function snapshotConfig(snapshot: StackSnapshot): KedgeConfig {
  const repository = snapshot.kedgeConfig ? parseKedgeConfig(snapshot.kedgeConfig.content, snapshot.kedgeConfig.path) : defaultKedgeConfig()
  if (!snapshot.stack) return repository
  const own = snapshot.stack.config
  return withStackOverrides(repository, own ? parseStackConfig(own.content, own.path) : null, own?.path ?? null)
}
