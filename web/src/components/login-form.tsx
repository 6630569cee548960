import {useState} from 'preact/hooks'
import {describeError} from '../api/client.js'
import {logIn} from '../api/session.js'
import type {Session} from '../api/types.js'
import {usePageTitle} from '../page-title.js'

/** The token goes in the POST body only: never in the URL nor in storage. */
export function LoginForm({onLoggedIn, notice}: {onLoggedIn: (session: Session) => void; notice: string | null}) {
  usePageTitle('Log in')
  const [token, setToken] = useState('')
  const [error, setError] = useState<{message: string; hint: string | null} | null>(null)
  const [busy, setBusy] = useState(false)

  const submit = async (event: SubmitEvent) => {
    event.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const session = await logIn(token)
      setToken('')
      onLoggedIn(session)
    } catch (failure) {
      setError(describeError(failure))
      setBusy(false)
    }
  }

  return (
    <main id="main" tabIndex={-1} class="login">
      <form class="login-card" onSubmit={submit} method="post">
        <h1>Log in to kedge</h1>
        {notice && <p class="muted">{notice}</p>}
        <label for="token">Access token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="current-password"
          required
          autoFocus
          value={token}
          onInput={(event) => setToken(event.currentTarget.value)}
          aria-describedby="token-help"
        />
        <p id="token-help" class="help">
          The admin token (the file <code>admin.token</code> in kedge's home, or <code>KEDGE_ADMIN_TOKEN</code>), or a token made with <code>kedge token create</code>.
        </p>
        {error && (
          <div class="form-error" role="alert">
            <p>{error.message}</p>
            {error.hint && <p class="hint">{error.hint}</p>}
          </div>
        )}
        <button type="submit" class="button primary" disabled={busy}>
          Log in
        </button>
      </form>
    </main>
  )
}
