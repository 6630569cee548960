import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {after} from 'node:test'

import {runKedge} from './cli.js'
import {removeComposeProject} from './docker.js'
import {GitRemote, type FileChanges} from './git-remote.js'
import {tempDir} from './temp.js'

export interface TestStack {
  home: string
  remote: GitRemote
  /** The repository's name, which is also its Compose project unless kedge.yaml sets one. */
  name: string
}

export function uniqueName(prefix = 'kt'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`
}

/** A git remote holding `files`, registered in a fresh kedge home; its containers are removed at the end. */
export async function registeredStack(files: FileChanges, options: {home?: string; name?: string; args?: string[]; env?: NodeJS.ProcessEnv} = {}): Promise<TestStack> {
  const name = options.name ?? uniqueName()
  const remote = GitRemote.create(files)
  const home = options.home ?? tempDir()
  after(() => removeComposeProject(name))
  const added = await runKedge(['repo', 'add', remote.fileUrl, '--name', name, ...(options.args ?? [])], {home, env: options.env})
  assert.equal(added.code, 0, added.stderr)
  return {home, remote, name}
}
