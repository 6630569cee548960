import type {FastifyInstance, FastifyReply, FastifyRequest} from 'fastify'

import type {DashboardAssets, DashboardFile} from './dashboard-assets.js'

/** `/` and `/assets/<file>`: the dashboard's page and its files. Reading them needs no token; the data behind them does. */
export function registerDashboardRoutes(app: FastifyInstance, dashboard: DashboardAssets | null): void {
  app.get('/', async (request, reply) => {
    if (!dashboard) {
      return reply.status(503).send({
        error: {code: 'dashboard_missing', message: 'this kedge was built without its dashboard', hint: 'run "npm run build" in its source directory'},
      })
    }
    // Not cached: it names the current build's files.
    return sendFile(request, reply, dashboard.index, 'no-cache')
  })
  app.get<{Params: {file: string}}>('/assets/:file', async (request, reply) => {
    const file = dashboard?.assets.get(request.params.file)
    if (!file) return reply.status(404).send({error: {code: 'not_found', message: 'no such dashboard file'}})
    return sendFile(request, reply, file, 'public, max-age=31536000, immutable')
  })
}

function sendFile(request: FastifyRequest, reply: FastifyReply, file: DashboardFile, cacheControl: string): FastifyReply {
  reply.header('cache-control', cacheControl).header('etag', file.etag).header('vary', 'accept-encoding').type(file.type)
  if (request.headers['if-none-match'] === file.etag) return reply.status(304).send()
  if (/\bgzip\b/.test(request.headers['accept-encoding'] ?? '')) return reply.header('content-encoding', 'gzip').send(file.gzipped)
  return reply.send(file.body)
}
