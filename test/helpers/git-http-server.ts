import {type ChildProcess, spawn} from 'node:child_process'
import http from 'node:http'
import type net from 'node:net'

/** One request as it reached the server, before any auth decision was acted on. */
export interface GitHttpRequest {
  method: string
  /** The decoded URL path, without the query. */
  path: string
  /** The query string without `?`, e.g. `service=git-upload-pack`. */
  query: string
  authorized: boolean
  authorization: string | undefined
  userAgent: string | undefined
}

/**
 * Serves the bare repositories under `projectRoot` over smart HTTP via `git http-backend`, behind
 * HTTP Basic auth whose password must be the token, as GitHub and GitLab take access tokens; with a
 * null token, anyone may read, as from a public repository.
 */
export class GitHttpServer {
  readonly requests: GitHttpRequest[] = []
  private readonly backends = new Set<ChildProcess>()
  private hanging = false

  private constructor(
    private readonly server: http.Server,
    readonly port: number,
    private readonly projectRoot: string,
    /** The username tests are meant to send; like GitHub, the server accepts any non-empty one with the right token. */
    readonly username: string,
    private token: string | null,
  ) {
    server.on('request', (request, response) => this.handle(request, response))
  }

  static async start(options: {projectRoot: string; username: string; token: string | null}): Promise<GitHttpServer> {
    const server = http.createServer()
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', resolve)
    })
    const {port} = server.address() as net.AddressInfo
    return new GitHttpServer(server, port, options.projectRoot, options.username, options.token)
  }

  /** The http url of a repository given by its path relative to `projectRoot`. */
  url(repoPathRelativeToProjectRoot: string): string {
    return `http://127.0.0.1:${this.port}/${repoPathRelativeToProjectRoot.replace(/^\/+/, '')}`
  }

  /** Changes the accepted token at once, as revoking or rotating it would. */
  setToken(token: string | null): void {
    this.token = token
  }

  /** While hanging, requests are recorded and the connection kept open, but never answered: a server that stopped responding. */
  setHanging(hanging: boolean): void {
    this.hanging = hanging
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()))
    // close() alone would wait for git's keep-alive connections to time out.
    this.server.closeAllConnections()
    for (const backend of this.backends) backend.kill('SIGKILL')
    await closed
  }

  private handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1')
    const authorization = request.headers.authorization
    const user = this.authenticate(authorization)
    this.requests.push({
      method: request.method ?? '',
      path: decodeURIComponent(url.pathname),
      query: url.search.replace(/^\?/, ''),
      authorized: user !== undefined,
      authorization,
      userAgent: request.headers['user-agent'],
    })
    if (this.hanging) {
      request.resume()
      return
    }
    if (user === undefined) {
      // Drain the body so the client reads the 401 instead of a reset connection.
      request.resume()
      response.writeHead(401, {'WWW-Authenticate': 'Basic realm="git"', 'Content-Type': 'text/plain'})
      response.end('authentication required\n')
      return
    }
    this.runBackend(request, response, url, user)
  }

  /** The username if the credentials hold the current token; anyone when there is no token. */
  private authenticate(authorization: string | undefined): string | undefined {
    if (this.token === null) return 'anonymous'
    const match = /^Basic\s+(\S+)$/i.exec(authorization ?? '')
    if (!match) return undefined
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon <= 0) return undefined
    return decoded.slice(colon + 1) === this.token ? decoded.slice(0, colon) : undefined
  }

  private runBackend(request: http.IncomingMessage, response: http.ServerResponse, url: URL, user: string): void {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: this.projectRoot,
      GIT_HTTP_EXPORT_ALL: '1',
      GATEWAY_INTERFACE: 'CGI/1.1',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.replace(/^\?/, ''),
      REQUEST_METHOD: request.method ?? 'GET',
      // http-backend only enables receive-pack (push) for an authenticated user.
      REMOTE_USER: user,
      REMOTE_ADDR: request.socket.remoteAddress ?? '127.0.0.1',
    }
    const headers = request.headers
    if (headers['content-type']) env.CONTENT_TYPE = headers['content-type']
    // Without it http-backend reads the body to EOF, which is what a chunked request needs.
    if (headers['content-length']) env.CONTENT_LENGTH = headers['content-length']
    // git gzips large upload-pack requests and http-backend inflates them only when told.
    if (headers['content-encoding']) env.HTTP_CONTENT_ENCODING = headers['content-encoding']
    // Passes on the client's protocol v2 request; without it the backend falls back to v0.
    const gitProtocol = headers['git-protocol']
    if (typeof gitProtocol === 'string') env.HTTP_GIT_PROTOCOL = gitProtocol

    const backend = spawn('git', ['http-backend'], {env, stdio: ['pipe', 'pipe', 'pipe']})
    this.backends.add(backend)
    let stderr = ''
    backend.stderr.setEncoding('utf8')
    backend.stderr.on('data', (chunk: string) => (stderr += chunk))
    backend.on('error', (error) => fail(`cannot run git http-backend: ${error.message}`))
    backend.on('close', (code) => {
      this.backends.delete(backend)
      if (!response.headersSent) fail(`git http-backend exited with ${code} before its headers: ${stderr}`)
      else response.end()
    })
    // The client may hang up first, which is no reason to crash the test.
    backend.stdin.on('error', () => {})
    response.on('close', () => backend.stdout.destroy())
    request.pipe(backend.stdin)

    let head = Buffer.alloc(0)
    const onHead = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk])
      const end = headerEnd(head)
      if (!end) return
      backend.stdout.off('data', onHead)
      writeCgiHead(response, head.subarray(0, end.index).toString('latin1'))
      const rest = head.subarray(end.index + end.length)
      if (rest.length > 0) response.write(rest)
      backend.stdout.on('data', (data: Buffer) => response.write(data))
    }
    backend.stdout.on('data', onHead)

    function fail(message: string): void {
      if (response.headersSent) {
        response.destroy()
        return
      }
      response.writeHead(500, {'Content-Type': 'text/plain'})
      response.end(`${message}\n`)
    }
  }
}

/** Where the CGI header block ends: git writes `\r\n`, but a CGI may use bare `\n`. */
function headerEnd(buffer: Buffer): {index: number; length: number} | undefined {
  const crlf = buffer.indexOf('\r\n\r\n')
  const lf = buffer.indexOf('\n\n')
  if (crlf === -1 && lf === -1) return undefined
  if (lf === -1 || (crlf !== -1 && crlf < lf)) return {index: crlf, length: 4}
  return {index: lf, length: 2}
}

function writeCgiHead(response: http.ServerResponse, head: string): void {
  let status = 200
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    const name = line.slice(0, colon).trim()
    const value = line.slice(colon + 1).trim()
    if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500
    else response.appendHeader(name, value)
  }
  response.writeHead(status)
}
