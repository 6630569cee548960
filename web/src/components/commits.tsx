import {shortSha} from '../format.js'

/** A commit as seven characters, the whole sha on hover. */
export function Sha({commit}: {commit: string}) {
  return (
    <code class="sha" title={commit}>
      {shortSha(commit)}
    </code>
  )
}

/** The deployed commit against the branch head: one sha when they agree, both and how far apart when not. */
export function CommitCell({deployed, head, behind}: {deployed: string | null; head: string | null; behind: number | null}) {
  if (deployed === null) {
    return (
      <span class="commits">
        <span class="muted">nothing deployed</span>
        {head && (
          <span class="commit-head">
            head <Sha commit={head} />
          </span>
        )}
      </span>
    )
  }
  if (head === null || head === deployed) {
    return (
      <span class="commits">
        <Sha commit={deployed} />
        {head && <span class="muted small"> = head</span>}
      </span>
    )
  }
  return (
    <span class="commits">
      <Sha commit={deployed} />
      <span class="commit-head">
        {' '}
        <span aria-hidden="true">→</span>
        <span class="visually-hidden">head</span> <Sha commit={head} />
        {behind !== null && behind > 0 && <span class="behind"> {behind} behind</span>}
      </span>
    </span>
  )
}
