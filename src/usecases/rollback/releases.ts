import {existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import type {KedgeContext} from '../context.js'
import {insideDirectory, type StackPaths} from '../repositories/stack-paths.js'
import type {StackSnapshot} from '../../model/stack/stack-snapshot.js'

/**
 * Keeps the deployed commit's tree in `<home>/releases/<name>/<commit>/`, newest `keep` of them, so a
 * rollback restores every file the stack reads (bind-mounted config included) without the remote.
 * `placedPaths` are the snapshot's: the release holds what the stack directory holds.
 */
export async function keepRelease(context: KedgeContext, paths: StackPaths, commit: string, keep: number, placedPaths?: readonly string[]): Promise<void> {
  const {repoDir, releasesDir: releases} = paths
  const target = insideDirectory(releases, commit)
  if (existsSync(target)) {
    const now = context.clock.now()
    utimesSync(target, now, now)
  } else {
    mkdirSync(releases, {recursive: true})
    const staging = mkdtempSync(path.join(releases, '.staging-'))
    try {
      const tree = path.join(staging, 'tree')
      mkdirSync(tree)
      await context.git.updateTree(repoDir, commit, tree, path.join(staging, 'index'), undefined, placedPaths)
      renameSync(tree, target)
    } finally {
      rmSync(staging, {recursive: true, force: true})
    }
  }
  const kept = readdirSync(releases)
    .filter((entry) => !entry.startsWith('.'))
    .map((entry) => ({entry, time: statSync(path.join(releases, entry)).mtimeMs}))
    .sort((a, b) => b.time - a.time)
  for (const old of kept.slice(keep)) rmSync(insideDirectory(releases, old.entry), {recursive: true, force: true})
}

export type ReleaseSource = 'release directory' | 'git clone' | 'database snapshot'

/**
 * A tree-ish for the stack directory holding the deployment's files: from its release directory, else
 * from the clone if it still has the commit, else from the snapshot in the database (compose files and
 * kedge.yaml only).
 */
export async function releaseTree(context: KedgeContext, paths: StackPaths, snapshot: StackSnapshot): Promise<{tree: string; source: ReleaseSource}> {
  const {repoDir, releasesDir, generatedDir} = paths
  const released = insideDirectory(releasesDir, snapshot.commit)
  const {git} = context
  if (!existsSync(path.join(repoDir, '.git'))) await git.initRepository(repoDir)
  mkdirSync(generatedDir, {recursive: true})
  const scratch = mkdtempSync(path.join(generatedDir, '.import-'))
  try {
    if (existsSync(released)) return {tree: await git.importTree(repoDir, released, path.join(scratch, 'index')), source: 'release directory'}
    if (await git.hasCommit(repoDir, snapshot.commit)) return {tree: snapshot.commit, source: 'git clone'}
    const files = path.join(scratch, 'files')
    for (const file of [...snapshot.composeFiles.map((entry) => ({...entry, path: path.join(snapshot.stackPath, entry.path)})), ...(snapshot.kedgeConfig ? [snapshot.kedgeConfig] : []), ...(snapshot.stack?.config ? [snapshot.stack.config] : [])]) {
      // The snapshot was checked when it was read (stack-snapshot.ts); this is the last word before writing.
      const target = insideDirectory(files, file.path, 'the files restored from the snapshot')
      mkdirSync(path.dirname(target), {recursive: true})
      writeFileSync(target, file.content)
    }
    return {tree: await git.importTree(repoDir, files, path.join(scratch, 'index')), source: 'database snapshot'}
  } finally {
    rmSync(scratch, {recursive: true, force: true})
  }
}
