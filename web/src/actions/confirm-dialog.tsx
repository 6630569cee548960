import type {RefObject} from 'preact'
import {useEffect, useRef} from 'preact/hooks'
import type {Confirmation} from './stack-actions.js'

interface ConfirmDialogProps {
  /** null keeps the dialog closed. */
  confirmation: Confirmation | null
  onConfirm: () => void
  onCancel: () => void
  /** Where focus goes once confirmed: the button that opened the dialog is disabled while the action runs. */
  focusAfterConfirm: RefObject<HTMLElement | null>
}

/**
 * A modal <dialog>: the browser keeps focus inside it and Escape cancels. Focus starts on Cancel, the
 * choice that changes nothing, and goes back to the button that opened it on cancel.
 */
export function ConfirmDialog({confirmation, onConfirm, onCancel, focusAfterConfirm}: ConfirmDialogProps) {
  const dialog = useRef<HTMLDialogElement>(null)
  const cancelButton = useRef<HTMLButtonElement>(null)
  const opener = useRef<HTMLElement | null>(null)
  const confirmed = useRef(false)
  const open = confirmation !== null

  useEffect(() => {
    const element = dialog.current
    if (!element) return
    if (open && !element.open) {
      opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null
      confirmed.current = false
      element.showModal()
      cancelButton.current?.focus()
    } else if (!open && element.open) {
      element.close()
      ;(confirmed.current ? focusAfterConfirm.current : opener.current)?.focus()
    }
  }, [open])

  return (
    <dialog
      ref={dialog}
      class="confirm"
      aria-labelledby="confirm-title"
      aria-describedby="confirm-consequence"
      onCancel={(event) => {
        event.preventDefault()
        onCancel()
      }}
      // Closed by the browser itself (a close request it does not let the page refuse): still a cancel.
      onClose={() => open && onCancel()}
    >
      {confirmation && (
        <>
          <h2 id="confirm-title">{confirmation.title}</h2>
          <p id="confirm-consequence">{confirmation.consequence}</p>
        </>
      )}
      <div class="dialog-buttons">
        <button type="button" class="button" ref={cancelButton} onClick={onCancel}>
          Cancel
        </button>
        <button
          type="button"
          class="button primary"
          onClick={() => {
            confirmed.current = true
            onConfirm()
          }}
        >
          Confirm
        </button>
      </div>
    </dialog>
  )
}
