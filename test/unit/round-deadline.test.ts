import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {ExternalError} from '../../src/model/errors.js'
import {DEFAULT_COMPOSE_LIMIT_MS, RoundDeadline, roundDeadlineMs} from '../../src/drivers/daemon/round-deadline.js'

const never = new Promise<never>(() => undefined)
const aborted = (signal: AbortSignal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), {once: true}))

describe("a serve round's deadline", () => {
  it('is longer than a round with every step at its limit: four long Compose commands (build, pull, up, a rollback\'s up), two health gates, and git', () => {
    assert.equal(roundDeadlineMs(DEFAULT_COMPOSE_LIMIT_MS, 60_000), 77 * 60_000)
    assert.equal(roundDeadlineMs(2000, 5 * 60_000), 4 * 2000 + 10 * 60_000 + 15 * 60_000)
  })

  it('stops the work through its signal once it passes, and says why', async () => {
    const told: ExternalError[] = []
    const started = Date.now()
    const deadline = new RoundDeadline(new AbortController().signal, () => 100, (error) => told.push(error))
    try {
      await aborted(deadline.signal)
      assert.ok(Date.now() - started >= 95, `aborted after ${Date.now() - started} ms`)
      assert.equal(told.length, 1)
      assert.equal(deadline.overdue, told[0])
      assert.equal(deadline.signal.reason, deadline.overdue)
      assert.equal(deadline.overdue!.code, 'round_overdue')
      assert.equal(deadline.overdue!.message, 'the round ran past its deadline of 100ms and was stopped')
    } finally {
      deadline.end()
    }
  })

  it('asks for the limit again when it comes: the commit the round fetched may allow longer', async () => {
    const limits = [100, 300]
    const started = Date.now()
    const deadline = new RoundDeadline(new AbortController().signal, () => limits.shift() ?? 300, () => undefined)
    try {
      await aborted(deadline.signal)
      assert.ok(Date.now() - started >= 295, `aborted after ${Date.now() - started} ms`)
      assert.match(deadline.overdue!.message, /deadline of 300ms/)
    } finally {
      deadline.end()
    }
  })

  it('takes a first limit it is given without asking, and asks only once that has passed', async () => {
    let asked = 0
    const started = Date.now()
    const deadline = new RoundDeadline(new AbortController().signal, () => (asked++, 250), () => undefined, undefined, 100)
    try {
      assert.equal(asked, 0, 'a round starts without asking for its limit')
      await aborted(deadline.signal)
      assert.ok(Date.now() - started >= 245, `aborted after ${Date.now() - started} ms`)
      assert.equal(asked, 2, 'asked when the first limit passed, and again when the real one did')
      assert.match(deadline.overdue!.message, /deadline of 250ms/)
    } finally {
      deadline.end()
    }
  })

  it('ends with the work when it ends in time, and leaves no timer behind', async () => {
    const deadline = new RoundDeadline(new AbortController().signal, () => 50, () => assert.fail('overdue'))
    assert.equal(await deadline.race(Promise.resolve('done')), 'done')
    deadline.end()
    await new Promise((resolve) => setTimeout(resolve, 100))
    assert.equal(deadline.overdue, null)
    assert.equal(deadline.signal.aborted, false)
  })

  it('the work that ends once stopped gives its own outcome; work that does not stop is given up on after the grace', async () => {
    const stopping = new RoundDeadline(new AbortController().signal, () => 50, () => undefined, 1000)
    const stops = aborted(stopping.signal).then(() => 'stopped')
    assert.equal(await stopping.race(stops), 'stopped')
    stopping.end()

    const stuck = new RoundDeadline(new AbortController().signal, () => 50, () => undefined, 100)
    const started = Date.now()
    await assert.rejects(stuck.race(never), (error) => error === stuck.overdue)
    assert.ok(Date.now() - started >= 145, `given up on after ${Date.now() - started} ms`)
    stuck.end()
  })

  it("serve's abandon aborts the work too, which is no overdue round", async () => {
    const abandon = new AbortController()
    const deadline = new RoundDeadline(abandon.signal, () => 60_000, () => assert.fail('overdue'), 50)
    const racing = deadline.race(aborted(deadline.signal).then(() => 'abandoned'))
    abandon.abort()
    assert.equal(await racing, 'abandoned')
    assert.equal(deadline.overdue, null)
    deadline.end()
  })
})
