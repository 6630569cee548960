import type {ServiceChange} from '../api/types.js'

/** What applying a commit does to each service: "recreate web nginx:1.25 → nginx:1.27". */
export function ChangesTable({changes}: {changes: ServiceChange[]}) {
  if (changes.length === 0) return <p>It would change no service.</p>
  return (
    <table class="data changes">
      <thead>
        <tr>
          <th scope="col">Action</th>
          <th scope="col">Service</th>
          <th scope="col">Image</th>
        </tr>
      </thead>
      <tbody>
        {changes.map((change) => (
          <tr key={`${change.action}:${change.service}`}>
            <td data-label="Action">
              <span class={`badge tone-${change.action === 'remove' ? 'warn' : 'info'}`}>{change.action}</span>
            </td>
            <th scope="row" data-label="Service">
              {change.service}
              {change.joining && <span class="muted small"> (joins {change.joining})</span>}
              {change.signal && <span class="muted small"> (signal {change.signal})</span>}
            </th>
            <td data-label="Image">
              <ImageChange from={change.from} to={change.to} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

function ImageChange({from, to}: {from: string | null; to: string | null}) {
  if (from === to) return from ? <code>{from}</code> : <span class="muted">—</span>
  return (
    <>
      {from ? <code>{from}</code> : <span class="muted">none</span>} <span aria-label="to">→</span> {to ? <code>{to}</code> : <span class="muted">none</span>}
    </>
  )
}
