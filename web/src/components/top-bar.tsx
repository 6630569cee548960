import type {Session} from '../api/types.js'
import {OVERVIEW_HREF} from '../route.js'
import {Logo} from './logo.js'
import {LiveIndicator} from './live-indicator.js'
import {ThemeToggle} from './theme-toggle.js'

const ROLE_WORDS = {admin: 'admin', read: 'read-only'} as const

export function TopBar({session, onLogOut}: {session: Session | null; onLogOut: () => void}) {
  return (
    <header class="top-bar">
      <a class="skip-link" href="#main" onClick={skipToContent}>
        Skip to content
      </a>
      <a class="brand" href={OVERVIEW_HREF}>
        <Logo />
        kedge
      </a>
      <div class="top-bar-end">
        {session && <LiveIndicator />}
        {session && (
          <span class="who" title={`Logged in as ${session.name}`}>
            <span class="who-name">{session.name}</span>
            <span class={`role role-${session.role}`}>{ROLE_WORDS[session.role]}</span>
          </span>
        )}
        <ThemeToggle />
        {session && (
          <button type="button" class="button quiet" onClick={onLogOut}>
            Log out
          </button>
        )}
      </div>
    </header>
  )
}

// The hash holds the route: following "#main" would leave the page, so the link moves focus itself.
function skipToContent(event: MouseEvent): void {
  event.preventDefault()
  document.getElementById('main')?.focus()
}
