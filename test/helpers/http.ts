import http from 'node:http'

/**
 * One HTTP request on a connection of its own; the body parsed as JSON when it is JSON (else `json` is null).
 * Not fetch: its pool reuses an idle connection, and one the server closes for idling (5 s) just as a slow
 * test sends on it fails with "other side closed".
 */
export async function request(base: string, method: string, route: string, options: {token?: string; body?: unknown; raw?: string | Buffer; headers?: Record<string, string>} = {}) {
  const headers: Record<string, string> = {...options.headers}
  if (options.token) headers.authorization = `Bearer ${options.token}`
  let body: string | Buffer | undefined = options.raw
  if (options.body !== undefined) {
    body = JSON.stringify(options.body)
    headers['content-type'] = 'application/json'
  }
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body))
  const answer = await new Promise<{status: number; headers: Headers; text: string}>((resolve, reject) => {
    const outgoing = http.request(`${base}${route}`, {method, headers, agent: false}, (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('error', reject)
      response.on('end', () => {
        const received = new Headers()
        for (const [name, value] of Object.entries(response.headers)) {
          for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) received.append(name, one)
        }
        resolve({status: response.statusCode ?? 0, headers: received, text: Buffer.concat(chunks).toString('utf8')})
      })
    })
    outgoing.on('error', reject)
    outgoing.end(body)
  })
  let json: any = null
  try {
    json = JSON.parse(answer.text)
  } catch {
    // metrics, or an empty body
  }
  return {...answer, json}
}

/**
 * The status answered to a POST that declares a body of `bytes`: the server refuses it from the headers,
 * before any of it is sent (sending it would race the server closing the connection after its answer).
 */
export function postDeclaringSize(url: string, bytes: number, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(url, {method: 'POST', headers: {...headers, 'content-length': String(bytes)}}, (response) => {
      response.resume()
      resolve(response.statusCode ?? 0)
      outgoing.destroy()
    })
    outgoing.on('error', reject)
    outgoing.flushHeaders()
  })
}
