import {usePageTitle} from './page-title.js'
import {OVERVIEW_HREF} from './route.js'

export function NotFoundPage() {
  usePageTitle('Not found')
  return (
    <main id="main" tabIndex={-1} class="page">
      <h1 tabIndex={-1}>No such page</h1>
      <p>
        The dashboard has no page at this address. <a href={OVERVIEW_HREF}>See all stacks</a>.
      </p>
    </main>
  )
}
