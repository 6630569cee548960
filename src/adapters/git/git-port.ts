import type {Git} from '../../ports/git.js'
import {changedFiles, checkoutHead, commitsAhead, cloneBranch, fetchBranch, hasCommit, importTree, initRepository, objectIds, remoteBranches, remoteBranchHead, updateTree} from './git.js'
import {isCredentialRefusal, withGitAccess} from './git-access.js'
import {derivePublicKey} from './ssh-keygen.js'

/** The Git port over the git CLI (and ssh-keygen), each run with an argument array. */
export const gitCli: Git = {
  withAccess: withGitAccess,
  isCredentialRefusal,
  remoteBranches,
  remoteBranchHead,
  cloneBranch,
  fetchBranch,
  checkoutHead,
  updateTree,
  importTree,
  initRepository,
  hasCommit,
  commitsAhead,
  objectIds,
  changedFiles,
  derivePublicKey,
}
