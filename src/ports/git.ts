/** What kedge authenticates to a remote with, in plain text: it only ever lives in memory and in GitAccess's files. */
export type GitCredentials =
  | {kind: 'ssh_key'; privateKey: string; keyFingerprint: string; knownHosts: string}
  | {kind: 'token'; token: string; username: string; source: string}

/** Git's environment for one operation, and the private files behind it. */
export interface GitAccess {
  readonly credentials: GitCredentials | null
  readonly env: Record<string, string>
  /** The Authorization header git sends to the remote's origin (env carries it to git), for kedge's own requests there. */
  readonly httpAuthorization: string | null
  /** The known_hosts ssh ended with: it holds the host key when it was accepted on first use. */
  knownHosts(): string | null
  close(): void
}

/** For operations that talk to the remote: `signal` kills git when kedge abandons the work, `access` authenticates. */
export interface RemoteOptions {
  signal?: AbortSignal
  access?: GitAccess
  /** How long remoteBranchHead may take to ask the remote; git's query timeout when not given. */
  timeoutMs?: number
}

/** git, run as a process with an argument array, and the ssh tooling beside it. */
export interface Git {
  /** Opens access for `url` with `credentials`, runs `action`, and always closes it (its private files removed). */
  withAccess<T>(url: string, credentials: GitCredentials | null, action: (access: GitAccess) => Promise<T>): Promise<T>
  /** Whether a git failure is the remote refusing the credentials. */
  isCredentialRefusal(error: unknown): boolean
  remoteBranches(url: string, options?: RemoteOptions): Promise<Map<string, string>>
  remoteBranchHead(url: string, branch: string, options?: RemoteOptions): Promise<string | null>
  cloneBranch(url: string, branch: string, directory: string, options?: RemoteOptions): Promise<void>
  /** Fetches the branch into the clone; returns the fetched head. */
  fetchBranch(directory: string, url: string, branch: string, options?: RemoteOptions): Promise<string>
  checkoutHead(directory: string): Promise<string>
  /** Makes `target` hold exactly `commit`'s tree (or its `paths`), tracked by `indexFile`. */
  updateTree(repository: string, commit: string, target: string, indexFile: string, signal?: AbortSignal, paths?: readonly string[]): Promise<void>
  importTree(repository: string, directory: string, indexFile: string): Promise<string>
  initRepository(directory: string): Promise<void>
  hasCommit(repository: string, commit: string): Promise<boolean>
  /** How many commits `to` has that `from` has not (`git rev-list --count from..to`); null when either is not in the clone. */
  commitsAhead(repository: string, from: string, to: string): Promise<number | null>
  /** The blob ids of `paths` at `commit`. */
  objectIds(repository: string, commit: string, paths: string[], signal?: AbortSignal): Promise<Map<string, string>>
  /** The files under `paths` (everything for none) that differ between two commits of the clone. */
  changedFiles(repository: string, from: string, to: string, paths: readonly string[], signal?: AbortSignal): Promise<string[]>
  /** The public half of an ssh private key, from ssh-keygen. */
  derivePublicKey(privateKey: string, source: string): Promise<string>
}
