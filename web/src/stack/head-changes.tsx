import {describeError} from '../api/client.js'
import type {DiffResult, RepositoryStatus} from '../api/types.js'
import {Sha} from '../components/commits.js'
import {TimeAgo} from '../components/time-ago.js'
import {ChangesTable} from './changes-table.js'
import type {DiffCheck} from './use-diff.js'

/** What applying the branch head would do: waiting in notify or manual mode (status), and as checked now (diff). */
export function HeadChanges({status, diff, canCheck}: {status: RepositoryStatus | null; diff: DiffCheck; canCheck: boolean}) {
  return (
    <section class="panel" aria-labelledby="head-title">
      <div class="panel-head">
        <h2 id="head-title">What the branch head would change</h2>
        <span class="muted small" role="status">
          {diff.checking ? 'Fetching the branch and comparing…' : diff.checkedAt && <>checked <TimeAgo iso={diff.checkedAt} /></>}
        </span>
        {diff.result && status && !diff.checking && isOutdated(diff.result, status) && <span class="stale">The deployed commit or the branch head moved since: check again.</span>}
        {canCheck && (
          <button type="button" class="button small" onClick={diff.check} disabled={diff.checking}>
            Check again
          </button>
        )}
      </div>
      {status?.pending && (
        <div class="pending">
          <p>
            <strong>Waiting to be applied</strong> ({status.mode} mode): <Sha commit={status.pending.commit} />. Sync now applies it.
          </p>
          <ChangesTable changes={status.pending.changes} />
        </div>
      )}
      {status && status.pendingImages.length > 0 && (
        <div class="pending">
          <p>
            <strong>New images waiting</strong> ({status.mode} mode): the registry names new images behind these tags. Sync now pulls them and recreates the services that use them.
          </p>
          <ImageUpdates updates={status.pendingImages} />
        </div>
      )}
      {!canCheck && !status?.pending && <p class="muted">Comparing with the branch head fetches it, which only an admin's token may ask for.</p>}
      {diff.error !== null && <DiffError error={diff.error} />}
      {diff.result && <DiffAnswer result={diff.result} />}
    </section>
  )
}

function DiffAnswer({result}: {result: DiffResult}) {
  const held = result.hold?.kind === 'down' || result.hold?.kind === 'gone'
  return (
    <div class="diff">
      {result.warnings.map((warning) => (
        <p key={warning} class="notice notice-warn">
          {warning}
        </p>
      ))}
      {result.failedAttempt && (
        <p>
          No deploy succeeded yet; the failed deploy of <Sha commit={result.failedAttempt.commit} /> left {result.failedAttempt.containers.join(', ')}.
        </p>
      )}
      {result.images && result.images.length > 0 && (
        <>
          <p>New images behind the tags:</p>
          <ImageUpdates updates={result.images} />
        </>
      )}
      {held && <p class="muted">Not compared: the stack is {result.hold?.kind === 'down' ? 'taken down' : 'gone from the repository'}.</p>}
      {result.head ? (
        <>
          <p>
            Branch head <Sha commit={result.head.commit} /> would:
          </p>
          <ChangesTable changes={result.head.changes} />
          {result.pinned && (
            <p class="muted">
              It is not deployed while the stack is pinned to <Sha commit={result.pinned.commit} />
              {result.pinned.reason ? ` (${result.pinned.reason})` : ''}.
            </p>
          )}
        </>
      ) : (
        !held && result.commit !== null && result.warnings.length === 0 && <p>The branch head is deployed: nothing would change.</p>
      )}
    </div>
  )
}

/** Each tag the registry moved: the image the engine runs, the one the registry names, and who uses it. */
function ImageUpdates({updates}: {updates: NonNullable<DiffResult['images']>}) {
  const short = (digest: string | null) => (digest === null ? 'unknown' : digest.replace(/^sha256:/, '').slice(0, 12))
  return (
    <table class="data changes">
      <thead>
        <tr>
          <th scope="col">Image</th>
          <th scope="col">Runs</th>
          <th scope="col">Registry has</th>
          <th scope="col">Services</th>
        </tr>
      </thead>
      <tbody>
        {updates.map((update) => (
          <tr key={update.image}>
            <td>{update.image}</td>
            <td>
              <code>{short(update.from)}</code>
            </td>
            <td>
              <code>{short(update.to)}</code>
            </td>
            <td>{update.services.join(', ')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** The answer was worked out against a deployed commit or a branch head that the live status no longer shows. */
function isOutdated(result: DiffResult, status: RepositoryStatus): boolean {
  // A stack kept down or gone was not compared with the head at all.
  if (result.hold?.kind === 'down' || result.hold?.kind === 'gone') return false
  if (result.commit !== (status.deployed?.commit ?? null)) return true
  const headThen = result.head?.commit ?? result.commit
  return status.head !== null && status.head.commit !== headThen
}

function DiffError({error}: {error: unknown}) {
  const {message, hint} = describeError(error)
  return (
    <div class="notice notice-bad">
      <p>
        <strong>Could not compare with the branch head:</strong> {message}
      </p>
      {hint && <p class="hint">{hint}</p>}
    </div>
  )
}
