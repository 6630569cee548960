/**
 * A process, told apart from a later one that reuses its pid by its start time, and from a process
 * in another pid namespace (a container sharing the host's name) by that namespace.
 */
export interface ProcessIdentity {
  host: string
  pid: number
  /** "<pid namespace>/<start time>", empty where /proc cannot tell. */
  processStart: string
}

/** The host's processes, as the locks need them: who holds a lock, and whether it still runs. */
export interface Processes {
  current(): ProcessIdentity
  /** Whether that process still runs. One this process cannot see (another host, another pid namespace) counts as running. */
  isRunning(identity: ProcessIdentity): boolean
}
