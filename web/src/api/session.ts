import {ApiError, request, setCsrfToken} from './client.js'
import type {Session} from './types.js'

const SESSION_PATH = '/api/v1/session'

/** The current session, or null when there is none (the login form then shows). */
export async function currentSession(): Promise<Session | null> {
  try {
    return remembered(await request<Session>(SESSION_PATH, {expectUnauthorized: true}))
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null
    throw error
  }
}

/** ApiError with the server's message on a wrong token. */
export async function logIn(token: string): Promise<Session> {
  return remembered(await request<Session>(SESSION_PATH, {method: 'POST', body: {token}, expectUnauthorized: true}))
}

/** Ends the session; should that fail, the session stays as it was, CSRF token and all. One that had ended already is logged out. */
export async function logOut(): Promise<void> {
  try {
    await request<null>(SESSION_PATH, {method: 'DELETE', expectUnauthorized: true})
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) throw error
  }
  setCsrfToken(null)
}

function remembered(session: Session): Session {
  setCsrfToken(session.csrf)
  return session
}
