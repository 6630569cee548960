/** A stack's name: usable as `<repository>/<stack>` on the command line. */
export const STACK_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/
export const STACK_NAME_EXPECTED = 'expected letters, digits, "_", "." and "-", starting with a letter or digit, at most 64 characters'

export function isStackName(name: string): boolean {
  return STACK_NAME_PATTERN.test(name)
}

/** A repository name as a Compose project name, which may not contain ".". */
export function defaultProjectName(repository: string): string {
  return repository.replaceAll('.', '-')
}

/**
 * The Compose project of one of several stacks of a repository when its kedge.yaml names none:
 * `<repository>-<stack>`, lower-cased, with what Compose refuses in a project name made "-". Both names
 * start with a letter or digit, so the result does too.
 */
export function stackProjectName(repository: string, stack: string): string {
  return `${repository}-${stack}`.toLowerCase().replace(/[^a-z0-9_-]/g, '-')
}

/** The stack kept in kedge.yaml's own directory: the repository's single stack, run under its name. */
export function isRootStack({repository, stack}: {repository: {path: string}; stack: {path: string}}): boolean {
  return stack.path === repository.path
}
