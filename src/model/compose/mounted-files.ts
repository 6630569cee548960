/**
 * What a service declares with `x-kedge: {on_file_change: ...}` in a compose file: when only the
 * repository files its containers see change, `restart` restarts them, `signal:<SIG>` sends them the
 * signal and `none` only places the files. Without it, any change recreates the service.
 */
export type OnFileChange = 'restart' | 'none' | `signal:${string}`

/** The snapshot's record of a service that declares on_file_change (see DesiredService.files). */
export interface MountedFiles {
  onChange: OnFileChange
  /** The hash of the mounted repository files (see filesHash); the labels' hash leaves them out. */
  hash: string
  /** The repository files and directories the containers see, relative to the repository's root. */
  paths: string[]
}

export type FileChangeAction = 'restart' | 'reload' | 'files'

export const FILE_CHANGE_ACTIONS: readonly string[] = ['restart', 'reload', 'files'] satisfies FileChangeAction[]
