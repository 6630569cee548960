import type {DeployReason} from '../api/types.js'

/** Why a deploy happened: its one line, and, when there is more, the files, services and drift behind it. */
export function ReasonCell({reason, line}: {reason: DeployReason | null; line: string | null}) {
  if (!line) return <span class="muted">—</span>
  if (!reason || !hasDetail(reason)) return <span class="reason-line">{line}</span>
  return (
    <details class="reason">
      <summary>{line}</summary>
      <ReasonDetail reason={reason} />
    </details>
  )
}

function hasDetail(reason: DeployReason): boolean {
  return (reason.files?.length ?? 0) > 0 || (reason.services?.length ?? 0) > 0 || (reason.drift?.length ?? 0) > 0 || Boolean(reason.detail)
}

function ReasonDetail({reason}: {reason: DeployReason}) {
  return (
    <dl class="reason-detail">
      <dt>Source</dt>
      <dd>{reason.source}</dd>
      {reason.files === null && (
        <>
          <dt>Files changed</dt>
          <dd class="muted">not known (a first deploy, or the old commit is gone)</dd>
        </>
      )}
      {reason.files && reason.files.length > 0 && (
        <>
          <dt>Files changed</dt>
          <dd>
            <ul class="plain">
              {reason.files.map((file) => (
                <li key={file}>
                  <code>{file}</code>
                </li>
              ))}
              {reason.moreFiles ? <li class="muted">and {reason.moreFiles} more</li> : null}
            </ul>
          </dd>
        </>
      )}
      {reason.services && reason.services.length > 0 && (
        <>
          <dt>Services</dt>
          <dd>
            <ul class="plain">
              {reason.services.map((change) => (
                <li key={`${change.action}:${change.service}`}>
                  {change.action} {change.service}
                </li>
              ))}
            </ul>
          </dd>
        </>
      )}
      {reason.drift && reason.drift.length > 0 && (
        <>
          <dt>Drift healed</dt>
          <dd>
            <ul class="plain">
              {reason.drift.map((entry, index) => (
                <li key={index}>
                  {entry.service} {entry.type.replaceAll('_', ' ')}: expected {entry.expected}, was {entry.actual}
                </li>
              ))}
            </ul>
          </dd>
        </>
      )}
      {reason.detail && (
        <>
          <dt>Detail</dt>
          <dd>{reason.detail}</dd>
        </>
      )}
    </dl>
  )
}
