import type {RepositoryStatus} from '../api/types.js'
import {TimeAgo} from '../components/time-ago.js'

/** What runs against what the deployed commit wants, as serve's last check found it. */
export function DriftList({drift, held}: {drift: RepositoryStatus['drift']; held: boolean}) {
  const checked = drift.checkedAt ? (
    <>
      checked <TimeAgo iso={drift.checkedAt} />
    </>
  ) : (
    'not checked since the last deploy'
  )
  const none = held
    ? 'kedge does not check a held stack for drift.'
    : drift.checkedAt
      ? 'No drift: the containers run as the deployed commit wants them.'
      : 'serve checks it on its next round, or as soon as a container changes.'
  return (
    <section class="panel" aria-labelledby="drift-title">
      <div class="panel-head">
        <h2 id="drift-title">Drift</h2>
        <span class="muted small">{checked}</span>
      </div>
      {drift.entries.length === 0 ? (
        <p class="muted">{none}</p>
      ) : (
        <table class="data drift">
          <thead>
            <tr>
              <th scope="col">Service</th>
              <th scope="col">Type</th>
              <th scope="col">Expected</th>
              <th scope="col">Actual</th>
              <th scope="col">Container</th>
            </tr>
          </thead>
          <tbody>
            {drift.entries.map((entry, index) => (
              <tr key={index} data-drift-service={entry.service} data-drift-type={entry.type}>
                <th scope="row" data-label="Service">
                  {entry.service}
                </th>
                <td data-label="Type">
                  <span class="badge tone-warn">{entry.type.replaceAll('_', ' ')}</span>
                </td>
                <td data-label="Expected">{entry.expected}</td>
                <td data-label="Actual">{entry.actual}</td>
                <td data-label="Container">{entry.container ? <code>{entry.container}</code> : <span class="muted">—</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
