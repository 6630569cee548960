/** Files that hold secrets while a tool reads them, and never longer. */
export interface PrivateFiles {
  /**
   * Writes `files` (0600) to a new directory only kedge's user can enter, in memory where the host has
   * /dev/shm, runs `use` with their paths (in the order given), and removes the directory however `use` ends.
   */
  withFiles<T>(files: ReadonlyArray<{name: string; content: string}>, use: (paths: string[]) => Promise<T>): Promise<T>
}
