import type {ComponentChildren} from 'preact'
import type {RepositoryStatus} from '../api/types.js'
import {Sha} from '../components/commits.js'
import {TimeAgo} from '../components/time-ago.js'

const HOLD_RELEASE = {
  down: 'Bring up deploys it again.',
  suspended: 'Resume lets kedge act on it again.',
  gone: 'Its repository no longer holds it; a commit that holds it again brings it back.',
} as const

/** What the stack is and where it stands: the facts of `kedge status` above the rest. */
export function StackFacts({status}: {status: RepositoryStatus}) {
  return (
    <>
      <dl class="facts">
        <Fact term="Mode">{status.mode}</Fact>
        <Fact term="Branch">
          <code>{status.branch}</code>
        </Fact>
        <Fact term="Deployed">
          {status.deployed ? (
            <>
              <Sha commit={status.deployed.commit} /> <TimeAgo iso={status.deployed.at} /> <span class="muted">({status.deployed.trigger})</span>
            </>
          ) : (
            <span class="muted">nothing yet</span>
          )}
        </Fact>
        <Fact term="Branch head">
          {status.head ? (
            <>
              <Sha commit={status.head.commit} />{' '}
              {status.deployed?.commit === status.head.commit ? <span class="muted">deployed</span> : <span class="behind">not deployed</span>}
              {status.head.checkedAt && (
                <span class="muted small">
                  {' '}
                  · checked <TimeAgo iso={status.head.checkedAt} />
                </span>
              )}
            </>
          ) : (
            <span class="muted">not fetched yet</span>
          )}
        </Fact>
        <Fact term="Engine">
          <code>{status.engine}</code>
        </Fact>
        {status.project && (
          <Fact term="Project">
            <code>{status.project}</code>
          </Fact>
        )}
        <Fact term="Repository">
          <span class="url">{status.url}</span>
        </Fact>
      </dl>
      {status.hold && (
        <p class="notice notice-muted">
          <strong>Held: {status.hold.kind === 'down' ? 'taken down' : status.hold.kind}</strong>
          {status.hold.since && (
            <>
              {' '}
              since <TimeAgo iso={status.hold.since} />
            </>
          )}
          . kedge neither deploys nor heals it. {HOLD_RELEASE[status.hold.kind]}
        </p>
      )}
      {status.pinned && (
        <p class="notice notice-info">
          <strong>Pinned</strong> to <Sha commit={status.pinned.commit} /> after a rollback{status.pinned.reason ? ` (${status.pinned.reason})` : ''}. A new commit on {status.branch}, or Sync now, ends the pin.
        </p>
      )}
      {status.failedAttempt && (
        <p class="notice notice-warn">
          No deploy succeeded yet: the containers below were left by the failed deploy of <Sha commit={status.failedAttempt.commit} />.
        </p>
      )}
      {status.rowError ? (
        <div class="notice notice-bad">
          <p>
            <strong>kedge cannot read this stack:</strong> {status.rowError.message}
          </p>
          {status.rowError.hint && <p class="hint">{status.rowError.hint}</p>}
        </div>
      ) : (
        status.lastError && (
          <p class="notice notice-bad">
            <strong>Last error</strong>
            {status.lastError.at && (
              <>
                {' '}
                (<TimeAgo iso={status.lastError.at} />)
              </>
            )}
            : {status.lastError.message}
          </p>
        )
      )}
    </>
  )
}

function Fact({term, children}: {term: string; children: ComponentChildren}) {
  return (
    <div class="fact">
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  )
}
