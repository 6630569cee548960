import type {ComponentChildren} from 'preact'
import type {StackOverview} from '../api/types.js'
import {HealthBadge, StatusWord} from '../components/badge.js'
import {CommitCell} from '../components/commits.js'
import {TimeAgo} from '../components/time-ago.js'
import {duration, plural} from '../format.js'
import {stackHref} from '../route.js'
import {nextOrder, type SortKey, type SortOrder} from './overview-order.js'

interface OverviewTableProps {
  stacks: StackOverview[]
  total: number
  order: SortOrder
  onOrder: (order: SortOrder) => void
  onClearFilter: () => void
}

const SORT_NAMES: Record<SortKey, string> = {name: 'name', health: 'health', lastDeploy: 'last deploy', drift: 'drift'}

/** One row per stack; under 640 px wide the stylesheet lays each row out as a card. */
export function OverviewTable({stacks, total, order, onOrder, onClearFilter}: OverviewTableProps) {
  const header = (key: SortKey, label: string, className?: string) => (
    <SortableHeader key={key} sortKey={key} order={order} onOrder={onOrder} className={className}>
      {label}
    </SortableHeader>
  )
  return (
    <>
      <p class="visually-hidden" role="status">
        {stacks.length === total ? `${plural(total, 'stack')}, sorted by ${SORT_NAMES[order.key]}` : `${stacks.length} of ${plural(total, 'stack')} shown`}
      </p>
      <table class="stacks">
        <thead>
          <tr>
            {header('name', 'Stack')}
            {header('health', 'Health')}
            <th scope="col">Mode</th>
            <th scope="col">Deployed / head</th>
            {header('lastDeploy', 'Last deploy')}
            {header('drift', 'Drift', 'numeric')}
          </tr>
        </thead>
        <tbody>
          {stacks.map((stack) => (
            <StackRow key={stack.address} stack={stack} />
          ))}
          {stacks.length === 0 && (
            <tr class="no-match">
              <td colSpan={6}>
                No stack matches these filters.{' '}
                <button type="button" class="button small" onClick={onClearFilter}>
                  Clear the filters
                </button>
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </>
  )
}

function SortableHeader({sortKey, order, onOrder, className, children}: {sortKey: SortKey; order: SortOrder; onOrder: (order: SortOrder) => void; className?: string; children: ComponentChildren}) {
  const active = order.key === sortKey
  return (
    <th scope="col" class={className} aria-sort={active ? order.direction : 'none'}>
      <button type="button" class={`sort${active ? ' sort-active' : ''}`} onClick={() => onOrder(nextOrder(order, sortKey))}>
        {children}
        <span class="sort-arrow" aria-hidden="true">
          {active ? (order.direction === 'ascending' ? '▲' : '▼') : '↕'}
        </span>
      </button>
    </th>
  )
}

function StackRow({stack}: {stack: StackOverview}) {
  return (
    <tr data-stack={stack.address} data-health={stack.health}>
      <th scope="row" data-label="Stack">
        <a href={stackHref(stack.address)} class="stack-link">
          {stack.address}
        </a>
        {stack.engine !== 'local' && <span class="muted stack-engine"> on {stack.engine}</span>}
      </th>
      <td data-label="Health">
        <HealthBadge health={stack.health} />
      </td>
      <td data-label="Mode">{stack.mode}</td>
      <td data-label="Commits">
        <CommitCell deployed={stack.deployed?.commit ?? null} head={stack.head?.commit ?? null} behind={stack.behind} />
      </td>
      <td data-label="Last deploy">
        <LastDeploy last={stack.lastDeployment} />
      </td>
      <td data-label="Drift" class={`numeric${stack.driftCount > 0 ? ' drift-some' : ''}`} data-drift-count={String(stack.driftCount)}>
        {stack.driftCount}
      </td>
    </tr>
  )
}

function LastDeploy({last}: {last: StackOverview['lastDeployment']}) {
  if (!last) return <span class="muted">never</span>
  return (
    <span class="last-deploy">
      <TimeAgo iso={last.at} />
      <span class="last-deploy-detail">
        · {last.seconds === null ? 'under way' : duration(last.seconds)} · {last.trigger} · <StatusWord status={last.status} />
      </span>
    </span>
  )
}
