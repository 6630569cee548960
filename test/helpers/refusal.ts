import assert from 'node:assert/strict'

import {isKedgeError, type KedgeError} from '../../src/model/errors.js'

/** The kedge error `action` throws; fails the test when it throws anything else, or nothing. */
export function refusal(action: () => unknown): KedgeError {
  try {
    action()
  } catch (error) {
    assert.ok(isKedgeError(error), String(error))
    return error
  }
  assert.fail('it was accepted')
}
