import assert from 'node:assert/strict'
import {createHmac} from 'node:crypto'
import {describe, it} from 'node:test'

import {RecentDeliveries} from '../../src/model/repository/recent-deliveries.js'
import {receiveWebhook, type WebhookAdmission} from '../../src/usecases/repositories/webhook-receiver.js'
import type {RepositoryRow} from '../../src/store/schema.js'

const SECRET = 'the-webhook-secret'
const admission = {admitted: true, repository: {name: 'app', branch: 'main'} as RepositoryRow, secret: SECRET} satisfies Extract<WebhookAdmission, {admitted: true}>

function githubPush(delivery: string): {headers: Record<string, string>; body: Buffer} {
  const body = Buffer.from(JSON.stringify({ref: 'refs/heads/main', after: 'a'.repeat(40)}))
  const signature = createHmac('sha256', SECRET).update(body).digest('hex')
  return {body, headers: {'x-github-event': 'push', 'x-github-delivery': delivery, 'x-hub-signature-256': `sha256=${signature}`}}
}

/** A daemon whose polls are asked for and then end as the test says. */
function daemon() {
  const failures: Array<() => void> = []
  return {
    requested: () => failures.length,
    failLastPoll: () => failures.at(-1)!(),
    options: {deliveries: new RecentDeliveries(), requestPoll: (_repository: string, onFailed: () => void) => failures.push(onFailed) > 0},
  }
}

describe('receiving a push webhook', () => {
  it('answers the same delivery again as a duplicate while its poll has not failed', () => {
    const {options, requested} = daemon()
    const push = githubPush('delivery-1')
    assert.equal(receiveWebhook(admission, push.headers, push.body, options).status, 'queued')
    assert.equal(receiveWebhook(admission, push.headers, push.body, options).status, 'duplicate')
    assert.equal(requested(), 1)
  })

  it('counts the same delivery again once the poll it asked for failed: the forge\'s "Redeliver"', () => {
    const {options, requested, failLastPoll} = daemon()
    const push = githubPush('delivery-1')
    assert.equal(receiveWebhook(admission, push.headers, push.body, options).status, 'queued')
    failLastPoll()
    assert.equal(receiveWebhook(admission, push.headers, push.body, options).status, 'queued')
    assert.equal(requested(), 2)
    assert.equal(receiveWebhook(admission, push.headers, push.body, options).status, 'duplicate', 'remembered again for its new poll')
  })
})
