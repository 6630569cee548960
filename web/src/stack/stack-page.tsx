import {useMemo} from 'preact/hooks'
import {ActionBar} from '../actions/action-bar.js'
import {useStackActions} from '../actions/use-stack-actions.js'
import {loadHistory, loadStatus, parseAddress} from '../api/stack-api.js'
import type {Role} from '../api/types.js'
import {HealthBadge} from '../components/badge.js'
import {LoadError} from '../components/load-error.js'
import type {ChangeEvent} from '../live/event-stream.js'
import {useLiveResource} from '../live/use-live-resource.js'
import {usePageTitle} from '../page-title.js'
import {OVERVIEW_HREF} from '../route.js'
import {DeployTimeline} from './deploy-timeline.js'
import {DriftList} from './drift-list.js'
import {HeadChanges} from './head-changes.js'
import {HistoryTable} from './history-table.js'
import {ServicesTable} from './services-table.js'
import {StackFacts} from './stack-facts.js'
import {useDiff} from './use-diff.js'

/** One stack: where it stands, what runs, what drifted, what the branch would change, what was deployed; and, for an admin, what to do about it. */
export function StackPage({address, role}: {address: string; role: Role}) {
  usePageTitle(address)
  const target = useMemo(() => parseAddress(address), [address])
  const stackName = target.stack ?? target.repo
  const concerns = (change: ChangeEvent) => change.repo === null || change.repo === target.repo
  const status = useLiveResource(`status:${address}`, () => loadStatus(target), concerns)
  const history = useLiveResource(`history:${address}`, () => loadHistory(target, stackName), concerns)
  const diff = useDiff(target, stackName, role === 'admin')
  const actions = useStackActions(target, status.data, () => {
    status.reload()
    history.reload()
  })
  const current = status.data

  return (
    <main id="main" tabIndex={-1} class="page stack-page" data-stack-page={address}>
      <nav class="breadcrumb" aria-label="Breadcrumb">
        <a href={OVERVIEW_HREF}>Stacks</a>
        <span aria-hidden="true"> / </span>
      </nav>
      <div class="title-row">
        <h1 tabIndex={-1}>{address}</h1>
        {current && <HealthBadge health={current.health} marked />}
      </div>
      {status.error !== null && <LoadError what={address} error={status.error} onRetry={status.reload} />}
      {current === null && status.error === null && (
        <p class="muted" role="status">
          Loading {address}…
        </p>
      )}
      {current && <StackFacts status={current} />}
      <ActionBar status={current} role={role} actions={actions} />
      {current && (
        <div class="stack-panels">
          <ServicesTable services={current.services} engineError={current.engineError} />
          <DriftList drift={current.drift} held={current.hold !== null} />
        </div>
      )}
      <HeadChanges status={current} diff={diff} canCheck={role === 'admin'} />
      <section class="panel" aria-labelledby="history-title">
        <h2 id="history-title">Deploys</h2>
        {history.error !== null && <LoadError what="the history" error={history.error} onRetry={history.reload} />}
        {history.data && history.data.length === 0 && <p class="muted">No deployment yet.</p>}
        {history.data && history.data.length > 0 && (
          <>
            <DeployTimeline rows={history.data} />
            <HistoryTable rows={history.data} deployedCommit={current?.deployed?.commit ?? null} onAction={role === 'admin' ? actions.ask : null} busy={actions.running !== null} />
          </>
        )}
      </section>
    </main>
  )
}
