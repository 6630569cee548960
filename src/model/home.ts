import path from 'node:path'

/** Everything kedge keeps lives under one directory; these are its parts. */
export interface KedgeHome {
  readonly root: string
  readonly databaseFile: string
  readonly reposDir: string
  readonly stagingDir: string
  /** The git clone kedge fetches into; never deployed from, so it can be reset at will. */
  repoDir(name: string): string
  /** The Compose project directory: the deployed commit's files, plus whatever containers wrote there. */
  stackDir(name: string): string
  /** Files kedge generates for a repository: the override file with its labels, the index of the stack directory. */
  generatedDir(name: string): string
  /** Trees of the last deployed commits, kept for rollback. */
  releasesDir(name: string): string
}

export const DEFAULT_HOME_DIRNAME = '.kedge'

/** `--home` wins over `KEDGE_HOME` (oclif reads the variable as the flag's default), which wins over `./.kedge`. */
export function resolveHome(homeFlag: string | undefined, cwd = process.cwd()): KedgeHome {
  const root = path.resolve(cwd, homeFlag && homeFlag.length > 0 ? homeFlag : DEFAULT_HOME_DIRNAME)
  const reposDir = path.join(root, 'repos')
  return {
    root,
    databaseFile: path.join(root, 'kedge.db'),
    reposDir,
    stagingDir: path.join(root, 'staging'),
    repoDir: (name) => path.join(reposDir, name),
    stackDir: (name) => path.join(root, 'stacks', name),
    generatedDir: (name) => path.join(root, 'generated', name),
    releasesDir: (name) => path.join(root, 'releases', name),
  }
}
