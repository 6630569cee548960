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

/** The home kedge used before it had a default of its own: `./.kedge`, still read where one exists. */
export const WORKING_DIRECTORY_HOME = '.kedge'

/** Where a service keeps its state (the Filesystem Hierarchy Standard's /var/lib), for root. */
export const SYSTEM_HOME = '/var/lib/kedge'

/** What the home's choice depends on, gathered by the caller: this module does no I/O. */
export interface HomeSurroundings {
  readonly cwd: string
  /** The process's user id; undefined where there is none (Windows). */
  readonly uid: number | undefined
  /** The user's home directory. */
  readonly userHome: string
  readonly xdgStateHome: string | undefined
  /** Whether `./.kedge` holds a kedge database. */
  readonly workingDirectoryHomeExists: boolean
}

export type HomeSource = 'chosen' | 'working-directory' | 'default'

export interface HomeChoice {
  readonly root: string
  /** chosen: --home or KEDGE_HOME; working-directory: an existing ./.kedge; default: the user's default. */
  readonly source: HomeSource
}

/**
 * `--home` wins over `KEDGE_HOME` (oclif reads the variable as the flag's default); then an existing
 * `./.kedge`, so that a home made before the default existed is not left behind; then the default: the
 * system's state directory for root (a service's, the one the systemd unit and the image use), and the
 * XDG state directory for anyone else. Never the working directory: a service starts in `/`.
 */
export function chooseHome(homeFlag: string | undefined, around: HomeSurroundings): HomeChoice {
  if (homeFlag && homeFlag.length > 0) return {root: path.resolve(around.cwd, homeFlag), source: 'chosen'}
  if (around.workingDirectoryHomeExists) return {root: path.resolve(around.cwd, WORKING_DIRECTORY_HOME), source: 'working-directory'}
  return {root: defaultHome(around), source: 'default'}
}

export function defaultHome(around: Pick<HomeSurroundings, 'uid' | 'userHome' | 'xdgStateHome'>): string {
  if (around.uid === 0) return SYSTEM_HOME
  // The XDG specification ignores a relative XDG_STATE_HOME.
  const stateHome = around.xdgStateHome && path.isAbsolute(around.xdgStateHome) ? around.xdgStateHome : path.join(around.userHome, '.local', 'state')
  return path.join(stateHome, 'kedge')
}

/** The places a home was looked for, in the order chooseHome looks: for the message of a command that found none. */
export function placesLooked(choice: HomeChoice, around: HomeSurroundings): string[] {
  if (choice.source === 'chosen') return [choice.root]
  return [path.resolve(around.cwd, WORKING_DIRECTORY_HOME), defaultHome(around)]
}

export function resolveHome(root: string): KedgeHome {
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
