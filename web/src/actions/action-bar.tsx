import {useRef} from 'preact/hooks'
import type {RepositoryStatus, Role} from '../api/types.js'
import {ActionPanel} from './action-panel.js'
import {ConfirmDialog} from './confirm-dialog.js'
import {actionsFor, buttonLabel, confirmationOf} from './stack-actions.js'
import type {StackActions} from './use-stack-actions.js'

/** The stack's buttons (admin only), the confirmation they open, and the progress and outcome of the one sent. */
export function ActionBar({status, role, actions}: {status: RepositoryStatus | null; role: Role; actions: StackActions}) {
  const panel = useRef<HTMLDivElement>(null)
  if (role !== 'admin') {
    return <p class="read-only-note">You are logged in read-only: log in with an admin token to sync, suspend, take down or roll back.</p>
  }
  const busy = actions.running !== null || status === null
  return (
    <section class="action-bar" aria-label="Actions">
      <div class="buttons">
        {status &&
          actionsFor(status).map((action, index) => (
            <button key={action.kind} type="button" class={`button${index === 0 ? ' primary' : ''}`} disabled={busy} onClick={() => actions.ask(action)}>
              {buttonLabel(action)}
            </button>
          ))}
      </div>
      <ActionPanel address={status?.address ?? ''} running={actions.running} outcome={actions.outcome} panelRef={panel} />
      <ConfirmDialog
        confirmation={actions.asked && status ? confirmationOf(actions.asked, status) : null}
        onCancel={actions.cancel}
        onConfirm={actions.confirm}
        focusAfterConfirm={panel}
      />
    </section>
  )
}
