import {readFileSync} from 'node:fs'
import path from 'node:path'

import {BaseCommand} from '../base-command.js'

export interface VersionResult {
  version: string
  /** The commit kedge was built from (`-dirty`: with changes not committed); null when the build could not tell. */
  commit: string | null
  node: string
  platform: string
}

export default class Version extends BaseCommand<typeof Version> {
  static override summary = 'Show the version of kedge and the commit it was built from.'
  static override examples = ['<%= config.bin %> version', '<%= config.bin %> version --json', '<%= config.bin %> --version']

  async run(): Promise<VersionResult> {
    const result: VersionResult = {
      version: this.config.version,
      commit: builtFrom(this.config.root),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
    }
    this.log(`kedge ${result.version} (commit ${result.commit ?? 'unknown'}, node ${result.node}, ${result.platform})`)
    return result
  }
}

/** What the build recorded (scripts/build-info.js). */
function builtFrom(root: string): string | null {
  const info = JSON.parse(readFileSync(path.join(root, 'dist', 'build-info.json'), 'utf8')) as {commit?: unknown}
  return typeof info.commit === 'string' ? info.commit : null
}
