import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {type DatabaseChanges, DatabaseWatch} from '../../src/drivers/daemon/database-watch.js'
import {ChangeFeed, type LiveEvent} from '../../src/drivers/http/live/change-feed.js'

describe('the dashboard\'s change feed', () => {
  it('tells each repository once per burst, and anything once for all', async () => {
    const heard: LiveEvent[] = []
    const watching: boolean[] = []
    const feed = new ChangeFeed((now) => watching.push(now))
    feed.change('lost')
    const unsubscribe = feed.subscribe((event) => heard.push(event))
    feed.change('web')
    feed.change('web')
    feed.change('shop')
    await new Promise((resolve) => setTimeout(resolve, 150))
    feed.change('web')
    feed.change(null)
    await new Promise((resolve) => setTimeout(resolve, 150))
    feed.progress('a1b2c3d4', 'web', 'web: pulling images', new Date(0))
    assert.deepEqual(heard, [
      {kind: 'change', repo: 'web'},
      {kind: 'change', repo: 'shop'},
      {kind: 'change', repo: null},
      {kind: 'progress', action: 'a1b2c3d4', address: 'web', step: 'web: pulling images', at: '1970-01-01T00:00:00.000Z'},
    ])
    unsubscribe()
    assert.deepEqual(watching, [true, false], 'the costly sources run only while a stream is open')
  })
})

/** kedge.db as the watch reads it, changed by the test. */
class ScriptedDatabase implements DatabaseChanges {
  dataVersion = 1
  repositories = new Map<string, string>([['web', 'a'], ['shop', 'b']])
  access = ''
  closed = 0
  failing = false

  version(): number {
    if (this.failing) throw new Error('database disk image is malformed')
    return this.dataVersion
  }
  repositoryVersions(): Map<string, string> {
    return new Map(this.repositories)
  }
  accessVersion(): string {
    return this.access
  }
  close(): void {
    this.closed++
  }
}

describe('the watch on kedge.db\'s commits', () => {
  it('tells the repositories whose state changed, the tokens changing, and nothing for a commit that changed nothing shown', async () => {
    const database = new ScriptedDatabase()
    const told: string[] = []
    const failures: unknown[] = []
    const watch = new DatabaseWatch(() => database, (repository) => told.push(repository), () => told.push('access'), (error) => failures.push(error))
    const tick = () => new Promise((resolve) => setTimeout(resolve, 250))
    watch.start()
    database.dataVersion++
    await tick()
    assert.deepEqual(told, [], 'a poll recording its time only')
    database.dataVersion++
    database.repositories.set('web', 'a2')
    database.repositories.delete('shop')
    database.repositories.set('blog', 'c')
    await tick()
    assert.deepEqual(told, ['web', 'shop', 'blog'])
    database.dataVersion++
    database.access = '1:read:'
    await tick()
    assert.deepEqual(told.slice(3), ['access'])
    watch.stop()
    database.dataVersion++
    database.repositories.set('web', 'a3')
    await tick()
    assert.equal(told.length, 4, 'nothing is read while no one watches')

    watch.start()
    database.failing = true
    await tick()
    assert.equal(failures.length, 1)
    assert.equal(database.closed, 1, 'a failed watch closes its connection, so that the next start opens it afresh')
    await tick()
    assert.equal(failures.length, 1, 'and stops reading')
    watch.close()
  })
})

describe('the event stream', () => {
  it('ends cleanly, and holds no listener, when the feed closes as the stream subscribes', async () => {
    const fastify = (await import('fastify')).default
    const {registerEventStream} = await import('../../src/drivers/http/live/event-stream.js')
    const {SessionSigner} = await import('../../src/drivers/http/access/session-cookie.js')
    const admin = 'a'.repeat(43)
    // As serve's watch does when kedge.db cannot be opened: the first stream's subscription closes the feed.
    const feed: ChangeFeed = new ChangeFeed((watching) => watching && feed.close())
    const app = fastify()
    const logged: string[] = []
    registerEventStream(app, feed, {adminToken: admin, sessions: new SessionSigner(admin), tokens: {verify: () => null, grant: () => null}}, () => Date.now(), {log: (_level, event) => logged.push(event)})
    await app.listen({host: '127.0.0.1', port: 0})
    try {
      const {port} = app.server.address() as {port: number}
      const response = await fetch(`http://127.0.0.1:${port}/events`, {headers: {authorization: `Bearer ${admin}`}})
      assert.equal(response.status, 200)
      assert.equal(await response.text(), '', 'ended before its first event')
      assert.equal(feed.streams, 0)
      assert.deepEqual(logged, [])
    } finally {
      await app.close()
    }
  })
})
