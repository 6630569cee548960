import type {KedgeConfig} from '../model/config/kedge-config.js'
import type {StackOverrides} from '../model/config/stack-config.js'
import type {StackTree} from '../model/stack/stack-layout.js'

/** A stack's kedge.yaml as read: its settings, and the text with its path (null when there is no file), which a deployment keeps. */
export interface KedgeConfigFile {
  config: KedgeConfig
  text: {path: string; content: string} | null
}

/**
 * The files of a repository checkout, read safely: every path is followed inside the repository only,
 * only regular files are read, and each read is bounded (docs/hostile-commits.md).
 */
export interface RepositoryFiles {
  /** The kedge.yaml (or kedge.yml) of `stackDir`; a missing file means all defaults. */
  readKedgeConfig(repoRoot: string, stackDir: string): KedgeConfigFile
  /**
   * The own kedge.yaml of one of several stacks (`stackDir`): only what it sets, which
   * withStackOverrides (model/config/stack-config.ts) lays over the repository's; null when there is none.
   */
  readStackConfig(repoRoot: string, stackDir: string): {overrides: StackOverrides | null; text: KedgeConfigFile['text']}
  /** The stack's compose files, relative to `stackDir`, each checked as kedge reads it. */
  resolveComposeFiles(repoRoot: string, stackDir: string, config: KedgeConfig): string[]
  readComposeText(repoRoot: string, stackDir: string, file: string): string
  /** A file's text, at most `maxBytes`; null when there is no such file. */
  readText(root: string, relative: string, maxBytes: number, shown?: string): string | null
  /** The real directory `stackPath` names inside the repository; `missing` is thrown when there is none. */
  directory(root: string, stackPath: string, missing: () => Error): string
  /** The checkout's directories for the stack layout (model/stack/stack-layout.ts): real directories only, each listing bounded. */
  stackTree(repoRoot: string): StackTree
  /**
   * A hook's file (`relative` to the repository root): its real absolute path, and whether it carries the
   * execute bit (else it is run with /bin/sh); null when there is none. Refused (invalid_config) when it
   * leads outside the repository or is not a regular file.
   */
  hookFile(repoRoot: string, relative: string): {path: string; executable: boolean} | null
}
