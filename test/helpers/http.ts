import http from 'node:http'

/** One HTTP request; the body parsed as JSON when it is JSON (else `json` is null). */
export async function request(base: string, method: string, route: string, options: {token?: string; body?: unknown; raw?: string | Buffer; headers?: Record<string, string>} = {}) {
  const headers: Record<string, string> = {...options.headers}
  if (options.token) headers.authorization = `Bearer ${options.token}`
  let body: string | Buffer | undefined = options.raw
  if (options.body !== undefined) {
    body = JSON.stringify(options.body)
    headers['content-type'] = 'application/json'
  }
  const response = await fetch(`${base}${route}`, {method, headers, body})
  const text = await response.text()
  let json: any = null
  try {
    json = JSON.parse(text)
  } catch {
    // metrics, or an empty body
  }
  return {status: response.status, headers: response.headers, text, json}
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
