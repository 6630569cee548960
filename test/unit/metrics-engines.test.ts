import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'

import type {FastifyInstance} from 'fastify'

import type {Logger} from '../../src/drivers/daemon/logger.js'
import {ChangeFeed} from '../../src/drivers/http/live/change-feed.js'
import {KedgeMetrics, SERVICES_LISTING_MS, type UpEngines} from '../../src/drivers/http/metrics.js'
import type {EngineReadiness} from '../../src/drivers/http/server-options.js'
import {createHttpServer} from '../../src/drivers/http/server.js'
import type {KedgeContext} from '../../src/usecases/context.js'
import {FakeClock, FakeEngine, MemoryStore} from '../helpers/fake-ports.js'
import {parseMetrics, sampleValue} from '../helpers/prometheus.js'

function recordingLogger(): Logger & {lines: Array<{event: string; fields: Record<string, unknown>}>} {
  const lines: Array<{event: string; fields: Record<string, unknown>}> = []
  const logger = {level: 'debug' as const, lines, log: (_level: string, event: string, fields: Record<string, unknown> = {}) => void lines.push({event, fields}), with: () => logger}
  return logger
}

function metricsOver(up: UpEngines, logger = recordingLogger()) {
  return new KedgeMetrics({store: new MemoryStore(new FakeClock())}, 'test', null, {up, logger})
}

async function samples(metrics: KedgeMetrics, name: string) {
  return parseMetrics(await metrics.registry.getSingleMetricAsString(name))
}

/** An engine with kedge's containers of `repo`, one running and one exited. */
function engineWith(repo: string): FakeEngine {
  const engine = new FakeEngine()
  const labels = {'io.kedge.managed': 'true', 'io.kedge.repo': repo, 'io.kedge.project': repo}
  engine.create(repo, 'web', 'nginx:1', labels)
  engine.create(repo, 'worker', 'nginx:1', labels, {state: 'exited'})
  return engine
}

describe('the engines in serve’s metrics', () => {
  it('tells each engine’s stream and its outages by name, an engine down from the start being no outage', async () => {
    const metrics = metricsOver(() => [])
    metrics.engineAvailability('local', true)
    metrics.engineAvailability('web2', false)
    let up = await samples(metrics, 'kedge_engine_up')
    assert.equal(sampleValue(up, 'kedge_engine_up', {engine: 'local'}), 1)
    assert.equal(sampleValue(up, 'kedge_engine_up', {engine: 'web2'}), 0)
    assert.equal(sampleValue(await samples(metrics, 'kedge_engine_outages_total'), 'kedge_engine_outages_total', {engine: 'web2'}), 0)
    metrics.engineAvailability('web2', true)
    metrics.engineAvailability('web2', false)
    metrics.engineAvailability('web2', true)
    const outages = await samples(metrics, 'kedge_engine_outages_total')
    assert.equal(sampleValue(outages, 'kedge_engine_outages_total', {engine: 'web2'}), 1)
    assert.equal(sampleValue(outages, 'kedge_engine_outages_total', {engine: 'local'}), 0)
    metrics.engineUnwatched('web2')
    up = await samples(metrics, 'kedge_engine_up')
    assert.equal(sampleValue(up, 'kedge_engine_up', {engine: 'web2'}), undefined, 'an engine no longer watched has no state')
    assert.equal(sampleValue(await samples(metrics, 'kedge_engine_outages_total'), 'kedge_engine_outages_total', {engine: 'web2'}), 1, 'its outages stay counted')
  })

  it('counts kedge’s containers by engine, repository and state, each engine that is up listed at once within its bound', async () => {
    const logger = recordingLogger()
    const hanging = {listAllKedgeContainers: () => new Promise<never>(() => undefined)}
    const metrics = metricsOver(
      () => [
        {name: 'local', engine: engineWith('shop')},
        {name: 'web2', engine: engineWith('shop')},
        {name: 'web3', engine: hanging},
        {name: 'web4', engine: hanging},
      ],
      logger,
    )
    const started = Date.now()
    const services = await samples(metrics, 'kedge_services_total')
    const took = Date.now() - started
    assert.ok(took >= SERVICES_LISTING_MS - 50 && took < SERVICES_LISTING_MS + 1_000, `two hanging engines cost one bound, not two: ${took} ms`)
    assert.equal(sampleValue(services, 'kedge_services_total', {engine: 'local', repo: 'shop', state: 'running'}), 1)
    assert.equal(sampleValue(services, 'kedge_services_total', {engine: 'web2', repo: 'shop', state: 'exited'}), 1)
    assert.equal(sampleValue(services, 'kedge_services_total', {engine: 'web3'}), undefined)
    assert.deepEqual(
      logger.lines.filter((line) => line.event === 'metrics.services_unlisted').map((line) => line.fields.engine),
      ['web3', 'web4'],
    )
  })
})

describe('/ready and the engines', () => {
  let app: FastifyInstance
  const engines: EngineReadiness[] = [
    {name: 'local', up: true, since: '2025-01-01T00:00:00.000Z'},
    {name: 'web2', up: false, since: '2025-01-01T00:01:00.000Z'},
  ]

  before(async () => {
    app = createHttpServer({
      context: {store: {storageFault: () => null}} as unknown as KedgeContext,
      notifier: {sendNow: async () => ({status: 200, answer: ''}), totals: () => []},
      logger: {log: () => undefined},
      metrics: metricsOver(() => []),
      control: {requestPoll: () => false, readiness: () => ({ready: true, pending: [], engines})},
      adminToken: 'a'.repeat(32),
      abandon: new AbortController().signal,
      tokens: {verify: () => null, grant: () => null},
      feed: new ChangeFeed(),
      dashboard: null,
    })
    await app.ready()
  })
  after(() => app.close())

  it('lists the engines serve watches, and stays ready while a registered engine is down', async () => {
    const answer = await app.inject({method: 'GET', url: '/ready'})
    assert.equal(answer.statusCode, 200)
    assert.deepEqual(answer.json(), {ready: true, pending: [], engines})
  })

  it('answers of one engine with ?engine=NAME: 200 while it is up, 503 while it is down', async () => {
    const local = await app.inject({method: 'GET', url: '/ready?engine=local'})
    assert.equal(local.statusCode, 200)
    assert.deepEqual(local.json(), engines[0])
    const web2 = await app.inject({method: 'GET', url: '/ready?engine=web2'})
    assert.equal(web2.statusCode, 503)
    assert.deepEqual(web2.json(), engines[1])
  })

  it('refuses an engine serve does not watch with 404, and a name no engine can have with 400', async () => {
    const unknown = await app.inject({method: 'GET', url: '/ready?engine=web9'})
    assert.equal(unknown.statusCode, 404)
    assert.equal(unknown.json().error.code, 'not_found')
    assert.match(unknown.json().error.message, /web9/)
    const invalid = await app.inject({method: 'GET', url: '/ready?engine=Not_A_Name'})
    assert.equal(invalid.statusCode, 400)
    assert.equal(invalid.json().error.code, 'invalid_name')
    const long = await app.inject({method: 'GET', url: `/ready?engine=${'a'.repeat(500)}`})
    assert.equal(long.statusCode, 400)
    assert.equal(long.json().error.code, 'invalid_request')
    const twice = await app.inject({method: 'GET', url: '/ready?engine=local&engine=web2'})
    assert.equal(twice.statusCode, 400)
  })
})
