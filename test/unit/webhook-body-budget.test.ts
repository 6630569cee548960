import assert from 'node:assert/strict'
import {PassThrough, Readable} from 'node:stream'
import {setImmediate} from 'node:timers/promises'
import {describe, it} from 'node:test'

import {WebhookBodyBudget} from '../../src/drivers/http/webhook-body-budget.js'

const KiB = 1024

/** Reads a metered body to its end: the bytes that came through, or the error it failed with. */
async function drain(body: Readable): Promise<{bytes: number; error?: {code?: string}}> {
  let bytes = 0
  try {
    for await (const chunk of body) bytes += (chunk as Buffer).length
    return {bytes}
  } catch (error) {
    return {bytes, error: error as {code?: string}}
  }
}

const chunks = (count: number, size: number) => Readable.from(Array.from({length: count}, () => Buffer.alloc(size)))

describe('the budget of webhook bodies in flight', () => {
  it('passes a kept body through and holds its bytes until released', async () => {
    const budget = new WebhookBodyBudget(100 * KiB)
    const {body, release} = budget.meter(chunks(4, 10 * KiB), {keep: true, limit: 1024 * KiB})
    assert.deepEqual(await drain(body), {bytes: 40 * KiB})
    assert.equal(budget.inUse, 40 * KiB)
    release()
    release()
    assert.equal(budget.inUse, 0, 'released once')
  })

  it('drops a body it does not keep, holding none of it', async () => {
    const budget = new WebhookBodyBudget(100 * KiB)
    const {body, release} = budget.meter(chunks(4, 10 * KiB), {keep: false, limit: 1024 * KiB})
    assert.deepEqual(await drain(body), {bytes: 0})
    assert.equal(budget.inUse, 0)
    assert.equal((body as Readable & {receivedEncodedLength: number}).receivedEncodedLength, 40 * KiB, 'what Fastify checks the declared length against')
    release()
    assert.equal(budget.inUse, 0)
  })

  it('keeps a genuine body whole while dropped bodies are still arriving', async () => {
    const budget = new WebhookBodyBudget(100 * KiB)
    // Slow posts to an unknown repository: part of each has arrived, the rest has not (they stay open).
    const dropped = Array.from({length: 3}, () => {
      const slow = new PassThrough()
      const metered = budget.meter(slow, {keep: false, limit: 1024 * KiB})
      metered.body.resume()
      for (let i = 0; i < 6; i++) slow.write(Buffer.alloc(10 * KiB))
      return {slow, ...metered}
    })
    await setImmediate()
    const genuine = budget.meter(chunks(9, 10 * KiB), {keep: true, limit: 1024 * KiB})
    assert.deepEqual(await drain(genuine.body), {bytes: 90 * KiB})
    genuine.release()
    for (const {slow, body, release} of dropped) {
      slow.end()
      assert.deepEqual(await drain(body), {bytes: 0})
      release()
    }
    assert.equal(budget.inUse, 0)
  })

  it('refuses a dropped body as busy exactly when it would be were it kept, so the answer does not tell them apart', async () => {
    const budget = new WebhookBodyBudget(100 * KiB)
    const kept = budget.meter(chunks(7, 10 * KiB), {keep: true, limit: 1024 * KiB})
    assert.equal((await drain(kept.body)).bytes, 70 * KiB)
    const answers = []
    for (const keep of [true, false]) {
      for (const count of [3, 4]) {
        const probe = budget.meter(chunks(count, 10 * KiB), {keep, limit: 1024 * KiB})
        answers.push([keep, count, (await drain(probe.body)).error?.code])
        probe.release()
      }
    }
    assert.deepEqual(answers, [[true, 3, undefined], [true, 4, 'webhook_busy'], [false, 3, undefined], [false, 4, 'webhook_busy']])
    kept.release()
    assert.equal(budget.inUse, 0)
  })

  it('fails a body that would take the budget past its bound, and frees the budget once released', async () => {
    const budget = new WebhookBodyBudget(100 * KiB)
    const first = budget.meter(chunks(6, 10 * KiB), {keep: true, limit: 1024 * KiB})
    assert.equal((await drain(first.body)).bytes, 60 * KiB)
    const second = budget.meter(chunks(6, 10 * KiB), {keep: true, limit: 1024 * KiB})
    const refused = await drain(second.body)
    assert.equal(refused.error?.code, 'webhook_busy')
    assert.ok(refused.bytes <= 40 * KiB, `${refused.bytes} bytes through`)
    assert.equal(budget.inUse, 100 * KiB, 'held up to the bound, no further')
    first.release()
    second.release()
    assert.equal(budget.inUse, 0)
    const third = budget.meter(chunks(6, 10 * KiB), {keep: true, limit: 1024 * KiB})
    assert.equal((await drain(third.body)).bytes, 60 * KiB)
  })

  it('fails a body over its own limit as Fastify does', async () => {
    const budget = new WebhookBodyBudget(1024 * KiB)
    const {body, release} = budget.meter(chunks(6, 10 * KiB), {keep: false, limit: 25 * KiB})
    assert.equal((await drain(body)).error?.code, 'FST_ERR_CTP_BODY_TOO_LARGE')
    release()
    assert.equal(budget.inUse, 0)
  })
})
