import type {ErrorBody} from './types.js'

/** An answer of the API that is not a success, with the server's own words. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint: string | null,
  ) {
    super(message)
  }
}

/** Raised instead of ApiError on a 401 once the session ended; the app shows the login form. */
export class SessionEnded extends Error {
  constructor() {
    super('the session ended: log in again')
  }
}

// The CSRF token lives in memory only: a reload asks the server for it again.
let csrfToken: string | null = null
let sessionEndedListener: () => void = () => {}

export function setCsrfToken(token: string | null): void {
  csrfToken = token
}

export function onSessionEnded(listener: () => void): void {
  sessionEndedListener = listener
}

interface RequestOptions {
  method?: 'GET' | 'POST' | 'DELETE'
  body?: unknown
  /** X-Kedge-Action: ties the progress on the event stream to this request. */
  actionId?: string
  /** A 401 is the answer to show (a wrong token at login), not the end of a session. */
  expectUnauthorized?: boolean
}

/** One call to the API: the parsed JSON body of a success, else ApiError (SessionEnded on a 401). */
export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = options.method ?? 'GET'
  const headers: Record<string, string> = {Accept: 'application/json'}
  if (options.body !== undefined) headers['Content-Type'] = 'application/json'
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken
  if (options.actionId) headers['X-Kedge-Action'] = options.actionId
  const response = await fetch(path, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    credentials: 'same-origin',
    cache: 'no-store',
  })
  const body = await parsedBody(response)
  if (response.ok) return body as T
  if (response.status === 401 && !options.expectUnauthorized) {
    csrfToken = null
    sessionEndedListener()
    throw new SessionEnded()
  }
  throw errorOf(response, body)
}

async function parsedBody(response: Response): Promise<unknown> {
  if (response.status === 204) return null
  const text = await response.text()
  if (text === '') return null
  try {
    return JSON.parse(text) as unknown
  } catch {
    return text
  }
}

function errorOf(response: Response, body: unknown): ApiError {
  const error = (body as Partial<ErrorBody> | null)?.error
  if (error && typeof error.message === 'string') return new ApiError(response.status, error.code, error.message, error.hint ?? null)
  return new ApiError(response.status, 'http_error', `kedge answered HTTP ${response.status} ${response.statusText}`.trim(), null)
}

/** What went wrong, in words for the page: the server's message, else the browser's. */
export function describeError(error: unknown): {message: string; hint: string | null} {
  if (error instanceof ApiError) return {message: error.message, hint: error.hint}
  if (error instanceof TypeError) return {message: `kedge could not be reached: ${error.message}`, hint: 'check that kedge serve is running'}
  return {message: error instanceof Error ? error.message : String(error), hint: null}
}
