import {defaultKedgeConfig, parseKedgeConfig, type KedgeConfig} from '../config/kedge-config.js'
import type {StackSnapshot} from './stack-snapshot.js'

/** The kedge.yaml a snapshot was deployed with; it was valid then, so it parses. */
export function snapshotConfig(snapshot: StackSnapshot): KedgeConfig {
  return snapshot.kedgeConfig ? parseKedgeConfig(snapshot.kedgeConfig.content, snapshot.kedgeConfig.path) : defaultKedgeConfig()
}
