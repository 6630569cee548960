import {useEffect, useRef, useState} from 'preact/hooks'
import {describeError, onSessionEnded} from './api/client.js'
import {currentSession, logOut} from './api/session.js'
import type {Session} from './api/types.js'
import {LoginForm} from './components/login-form.js'
import {TopBar} from './components/top-bar.js'
import {closeEventStream, onStreamClosed, openEventStream} from './live/event-stream.js'
import {NotFoundPage} from './not-found-page.js'
import {OverviewPage} from './overview/overview-page.js'
import {usePageTitle} from './page-title.js'
import {useRoute, type Route} from './route.js'
import {StackPage} from './stack/stack-page.js'

type SessionState =
  | {kind: 'checking'}
  | {kind: 'logged_out'; notice: string | null}
  | {kind: 'logged_in'; session: Session}
  | {kind: 'unreachable'; message: string}

export function App() {
  const [state, setState] = useState<SessionState>({kind: 'checking'})

  const check = () =>
    currentSession().then(
      (session) => setState(session ? {kind: 'logged_in', session} : {kind: 'logged_out', notice: null}),
      (error: unknown) => setState({kind: 'unreachable', message: describeError(error).message}),
    )

  useEffect(() => {
    onSessionEnded(() => setState({kind: 'logged_out', notice: 'Your session ended. Log in again.'}))
    // The server closes the stream for good on a 401 among others: the session says which it was.
    onStreamClosed(() =>
      void currentSession().then(
        (session) => session === null && setState({kind: 'logged_out', notice: 'Your session ended. Log in again.'}),
        // The server is away: the indicator says so, and the stream reconnects when asked.
        () => undefined,
      ),
    )
    void check()
  }, [])

  const loggedIn = state.kind === 'logged_in'
  useEffect(() => {
    if (loggedIn) openEventStream()
    else closeEventStream()
  }, [loggedIn])

  // A logout that did not reach serve leaves the cookie valid: the person is told, and stays logged in.
  const [logoutError, setLogoutError] = useState<string | null>(null)
  const leave = () => {
    setLogoutError(null)
    logOut().then(
      () => setState({kind: 'logged_out', notice: 'You are logged out.'}),
      (error: unknown) => setLogoutError(describeError(error).message),
    )
  }

  const session = state.kind === 'logged_in' ? state.session : null
  return (
    <>
      <TopBar session={session} onLogOut={leave} />
      {logoutError && (
        <p class="notice notice-bad page-notice" role="alert">
          Logging out failed: {logoutError}. The session is still open.
        </p>
      )}
      {state.kind === 'checking' && <Waiting />}
      {state.kind === 'unreachable' && <Unreachable message={state.message} onRetry={check} />}
      {state.kind === 'logged_out' && <LoginForm notice={state.notice} onLoggedIn={(next) => setState({kind: 'logged_in', session: next})} />}
      {session && <Routed session={session} />}
    </>
  )
}

function Routed({session}: {session: Session}) {
  const route = useRoute()
  useFocusOnNavigation(route)
  if (route.view === 'overview') return <OverviewPage />
  if (route.view === 'stack') return <StackPage key={route.address} address={route.address} role={session.role} />
  return <NotFoundPage />
}

/** After a move to another view, focus goes to its heading, as a new page would put it at the top. */
function useFocusOnNavigation(route: Route): void {
  const first = useRef(true)
  const key = route.view === 'stack' ? `stack:${route.address}` : route.view
  useEffect(() => {
    if (first.current) {
      first.current = false
      return
    }
    document.querySelector<HTMLElement>('main h1')?.focus()
  }, [key])
}

function Waiting() {
  usePageTitle('')
  return (
    <main id="main" tabIndex={-1} class="page">
      <p class="muted" role="status">
        Loading…
      </p>
    </main>
  )
}

function Unreachable({message, onRetry}: {message: string; onRetry: () => void}) {
  usePageTitle('Not reachable')
  return (
    <main id="main" tabIndex={-1} class="page">
      <h1>kedge is not reachable</h1>
      <p role="alert">{message}</p>
      <button type="button" class="button" onClick={onRetry}>
        Try again
      </button>
    </main>
  )
}
