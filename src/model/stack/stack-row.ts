import type {StackRow} from '../rows.js'

/** A stack's state before kedge did anything with it: no hold, no pin, no pending change, no drift, no error. */
export const EMPTY_STACK_STATE = {
  hold: null,
  heldAt: null,
  lastError: null,
  lastErrorAt: null,
  pinnedCommit: null,
  pinReason: null,
  pinnedAtHead: null,
  unchangedHead: null,
  pendingCommit: null,
  pendingChanges: null,
  pendingImages: null,
  imagesCheckedAt: null,
  drift: null,
  driftCheckedAt: null,
  engineId: null,
} as const satisfies Omit<StackRow, 'id' | 'repositoryId' | 'name' | 'path' | 'createdAt'>
