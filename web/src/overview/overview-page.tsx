import {useState} from 'preact/hooks'
import {loadOverview} from '../api/stack-api.js'
import type {StackOverview} from '../api/types.js'
import {LoadError} from '../components/load-error.js'
import {HEALTH_LABELS, HEALTHS} from '../health.js'
import {useLiveResource} from '../live/use-live-resource.js'
import {usePageTitle} from '../page-title.js'
import {plural} from '../format.js'
import {DEFAULT_ORDER, filterStacks, sortStacks, type StackFilter} from './overview-order.js'
import {OverviewTable} from './overview-table.js'

const EVERY_CHANGE = () => true

/** The filter and the order as last set while the page is open: back from a stack's page, the overview is as it was left. */
const kept: {filter: StackFilter; order: typeof DEFAULT_ORDER} = {filter: {text: '', health: 'all'}, order: DEFAULT_ORDER}

function useRemembered<K extends keyof typeof kept>(key: K): [(typeof kept)[K], (value: (typeof kept)[K]) => void] {
  const [value, setValue] = useState(kept[key])
  return [
    value,
    (next) => {
      kept[key] = next
      setValue(next)
    },
  ]
}

export function OverviewPage() {
  usePageTitle('Stacks')
  const overview = useLiveResource('overview', loadOverview, EVERY_CHANGE)
  const [filter, setFilter] = useRemembered('filter')
  const [order, setOrder] = useRemembered('order')
  const stacks = overview.data

  return (
    <main id="main" tabIndex={-1} class="page">
      <div class="page-head">
        <h1 tabIndex={-1}>Stacks</h1>
        {stacks && stacks.length > 0 && <HealthSummary stacks={stacks} />}
      </div>
      {overview.error !== null && <LoadError what="the stacks" error={overview.error} onRetry={overview.reload} />}
      {stacks === null && overview.error === null && (
        <p class="muted" role="status">
          Loading the stacks…
        </p>
      )}
      {stacks && stacks.length === 0 && <NoRepository />}
      {stacks && stacks.length > 0 && (
        <>
          <Filters filter={filter} onChange={setFilter} />
          <OverviewTable
            stacks={sortStacks(filterStacks(stacks, filter), order)}
            total={stacks.length}
            order={order}
            onOrder={setOrder}
            onClearFilter={() => setFilter({text: '', health: 'all'})}
          />
        </>
      )}
    </main>
  )
}

function HealthSummary({stacks}: {stacks: StackOverview[]}) {
  const counts = HEALTHS.map((health) => ({health, count: stacks.filter((stack) => stack.health === health).length})).filter(({count}) => count > 0)
  return (
    <p class="summary">
      {plural(stacks.length, 'stack')}: {counts.map(({health, count}) => `${count} ${HEALTH_LABELS[health]}`).join(', ')}
    </p>
  )
}

function Filters({filter, onChange}: {filter: StackFilter; onChange: (filter: StackFilter) => void}) {
  return (
    <div class="filters" role="search">
      <div class="field">
        <label for="stack-filter">Filter by name</label>
        <input id="stack-filter" type="search" value={filter.text} placeholder="shop/api" autocomplete="off" onInput={(event) => onChange({...filter, text: event.currentTarget.value})} />
      </div>
      <div class="field">
        <label for="health-filter">State</label>
        <select id="health-filter" value={filter.health} onChange={(event) => onChange({...filter, health: event.currentTarget.value as StackFilter['health']})}>
          <option value="all">all</option>
          {HEALTHS.map((health) => (
            <option key={health} value={health}>
              {HEALTH_LABELS[health]}
            </option>
          ))}
        </select>
      </div>
    </div>
  )
}

function NoRepository() {
  return (
    <section class="empty" aria-labelledby="empty-title">
      <h2 id="empty-title">No repository is registered yet</h2>
      <p>kedge deploys the Compose stacks of the git repositories you register. On the host, add one with:</p>
      <pre>
        <code>{'kedge repo add <url>'}</code>
      </pre>
      <p class="muted">It shows up here as soon as kedge has read it.</p>
    </section>
  )
}
