export interface StackTakenDown {
  action: 'removed'
  project: string
  /** The containers kedge had labelled for the repository, stopped and removed. */
  containers: string[]
  /** Whether `compose down` removed the project's networks (and with --volumes its named volumes). */
  networksRemoved: boolean
  volumesRemoved: boolean
  /**
   * Containers of the project kedge did not label (one-off `compose run` containers, anyone else's):
   * the operator's, left alone, and with them the project's networks and volumes, which they use.
   */
  leftAlone: string[]
}
