/** The largest kedge.yaml kedge reads; a real one is a few hundred bytes. */
export const KEDGE_CONFIG_MAX_BYTES = 256 * 1024
/** The largest compose file kedge reads; a compose file of a hundred services is well under 200 KiB. */
export const COMPOSE_FILE_MAX_BYTES = 1024 * 1024

/** True when a path relative to the repository root names .git or something inside it. */
export function isInGitDirectory(relative: string): boolean {
  return relative.replaceAll('\\', '/').split('/').some((part) => part.toLowerCase() === '.git')
}
