import path from 'node:path'

/** Everything kedge keeps lives under one directory; these are its parts. */
export interface KedgeHome {
  readonly root: string
  readonly databaseFile: string
  readonly reposDir: string
  readonly stagingDir: string
  repoDir(name: string): string
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
  }
}
