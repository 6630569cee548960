import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {RecentDeliveries} from '../../src/model/repository/recent-deliveries.js'

describe('recent webhook deliveries', () => {
  it('knows a delivery by any of its keys', () => {
    const deliveries = new RecentDeliveries()
    assert.equal(deliveries.seen(['id:1', 'signature:a']), false)
    deliveries.remember(['id:1', 'signature:a'])
    assert.equal(deliveries.seen(['id:1']), true)
    assert.equal(deliveries.seen(['id:2', 'signature:a']), true, 'a replay under a new id')
    assert.equal(deliveries.seen(['id:2', 'signature:b']), false)
    assert.equal(deliveries.seen([]), false)
  })

  it('forgets a delivery when told, by all of its keys', () => {
    const deliveries = new RecentDeliveries()
    deliveries.remember(['id:1', 'signature:a'])
    deliveries.remember(['id:2'])
    deliveries.forget(['id:1', 'signature:a'])
    assert.equal(deliveries.seen(['id:1']), false)
    assert.equal(deliveries.seen(['id:3', 'signature:a']), false)
    assert.equal(deliveries.seen(['id:2']), true, 'the others are kept')
    assert.equal(deliveries.size, 1)
  })

  it('forgets a delivery once its time is up', () => {
    let now = 1_000_000
    const deliveries = new RecentDeliveries({entries: 10, ttlMs: 60_000}, () => now)
    deliveries.remember(['id:1'])
    now += 59_000
    assert.equal(deliveries.seen(['id:1']), true)
    deliveries.remember(['id:2'])
    now += 2_000
    assert.equal(deliveries.seen(['id:1']), false)
    assert.equal(deliveries.seen(['id:2']), true)
    assert.equal(deliveries.size, 1, 'the expired key is gone, not only hidden')
  })

  it('keeps at most its number of keys, forgetting the oldest first', () => {
    const deliveries = new RecentDeliveries({entries: 3, ttlMs: 60_000})
    for (const id of [1, 2, 3, 4, 5]) deliveries.remember([`id:${id}`])
    assert.equal(deliveries.size, 3)
    assert.deepEqual([1, 2, 3, 4, 5].map((id) => deliveries.seen([`id:${id}`])), [false, false, true, true, true])
    // A key remembered again counts as new.
    deliveries.remember(['id:3'])
    deliveries.remember(['id:6'])
    assert.deepEqual([3, 4, 5, 6].map((id) => deliveries.seen([`id:${id}`])), [true, false, true, true])
  })

  it('costs the same for a long key as for a short one', () => {
    const deliveries = new RecentDeliveries({entries: 2, ttlMs: 60_000})
    deliveries.remember(['x'.repeat(1_000_000)])
    assert.equal(deliveries.seen(['x'.repeat(1_000_000)]), true)
    assert.equal(deliveries.seen(['x'.repeat(999_999)]), false)
  })
})
