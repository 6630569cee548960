import type {EngineRequest, EngineTransport} from './engine-request.js'

/** The losses of one engine's connections, counted (Engine.connectionLosses). */
export interface LossCounter {
  count: number
}

/**
 * The transport, counting each request that could not reach the engine, was cut off or timed out: not one
 * the engine answered with an error status (it is up), nor one kedge's own signal stopped.
 */
export function countingLosses(transport: EngineTransport, losses: LossCounter): EngineTransport {
  const counted = <T>(request: EngineRequest, work: Promise<T>): Promise<T> =>
    work.catch((error: unknown) => {
      if (isLoss(error, request)) losses.count++
      throw error
    })
  return {
    call: (request) => counted(request, transport.call(request)),
    stream: (request) => counted(request, transport.stream(request)),
  }
}

function isLoss(error: unknown, request: EngineRequest): boolean {
  if (request.signal?.aborted === true) return false
  return typeof (error as {statusCode?: unknown} | null)?.statusCode !== 'number'
}
