import {InvalidInputError, quoted} from '../errors.js'

/** git check-ref-format's rules for a branch name, so a bad one is refused before git sees it. */
export function validateBranchName(branch: string): string {
  const invalid =
    branch.length === 0 ||
    branch.length > 255 ||
    branch.startsWith('-') ||
    branch.startsWith('/') ||
    branch.endsWith('/') ||
    branch.endsWith('.') ||
    branch.endsWith('.lock') ||
    branch === '@' ||
    /\.\.|\/\/|@\{|\/\.|^\./.test(branch) ||
    /[\s\u0000-\u001f\u007f~^:?*[\\]/.test(branch)
  if (invalid) {
    throw new InvalidInputError(`invalid branch name ${quoted(branch)}`, {
      code: 'invalid_branch',
      hint: 'give a branch name as git accepts it, e.g. main or release/1.x',
    })
  }
  return branch
}

/** The remote answered without the branch: the branches it has are the hint. */
export function unknownBranch(branch: string, url: string, branches: string[]): InvalidInputError {
  const known = branches.length === 0 ? 'it has no branches' : `it has ${branches.slice(0, 10).join(', ')}`
  return new InvalidInputError(`branch "${branch}" does not exist on ${url}: ${known}`, {
    code: 'unknown_branch',
    hint: 'pass the branch to watch with --branch',
  })
}
