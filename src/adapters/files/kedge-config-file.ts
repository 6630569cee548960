import path from 'node:path'

import {CONFIG_FILENAMES, defaultKedgeConfig, parseKedgeConfig, type KedgeConfig} from '../../model/config/kedge-config.js'
import {KEDGE_CONFIG_MAX_BYTES} from '../../model/config/repository-limits.js'
import {parseStackConfig, type StackOverrides} from '../../model/config/stack-config.js'
import {readRepositoryText} from './repository-file.js'

/**
 * Reads kedge.yaml (or kedge.yml) from `stackDir`, a directory of the repository at `repoRoot`; a missing
 * file means all defaults. The file must be a regular file inside the repository, of at most
 * KEDGE_CONFIG_MAX_BYTES (see readRepositoryText).
 */
export function loadKedgeConfig(repoRoot: string, stackDir: string): KedgeConfig {
  return readKedgeConfig(repoRoot, stackDir).config
}

/** loadKedgeConfig, with the text it parsed (null when there is no file), which a deployment keeps. */
export function readKedgeConfig(repoRoot: string, stackDir: string): {config: KedgeConfig; text: {path: string; content: string} | null} {
  const text = readKedgeConfigText(repoRoot, stackDir)
  return {config: text === null ? {...defaultKedgeConfig(), file: null} : parseKedgeConfig(text.content, text.path), text}
}

/**
 * The own kedge.yaml of a stack of several (`stackDir`, a directory the stack layout found), read as
 * readKedgeConfig reads the repository's: what it sets, and the text with its path; null for both when
 * the stack has none.
 */
export function readStackConfig(repoRoot: string, stackDir: string): {overrides: StackOverrides | null; text: {path: string; content: string} | null} {
  const text = readKedgeConfigText(repoRoot, stackDir)
  return {overrides: text === null ? null : parseStackConfig(text.content, text.path), text}
}

/** The text of the stack's kedge.yaml and its path relative to the repository root, read safely; null when there is none. */
function readKedgeConfigText(repoRoot: string, stackDir: string): {path: string; content: string} | null {
  for (const name of CONFIG_FILENAMES) {
    const file = path.relative(repoRoot, path.join(stackDir, name)).split(path.sep).join('/')
    const content = readRepositoryText(repoRoot, file, KEDGE_CONFIG_MAX_BYTES)
    if (content !== null) return {path: file, content}
  }
  return null
}
