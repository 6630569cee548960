import {useEffect, useState} from 'preact/hooks'

export type Route = {view: 'overview'} | {view: 'stack'; address: string} | {view: 'not_found'; hash: string}

const STACK_PREFIX = '#/stack/'

function parseRoute(hash: string): Route {
  if (hash === '' || hash === '#' || hash === '#/') return {view: 'overview'}
  if (hash.startsWith(STACK_PREFIX)) {
    try {
      const address = decodeURIComponent(hash.slice(STACK_PREFIX.length))
      if (address !== '') return {view: 'stack', address}
    } catch {
      // Not valid percent-encoding: no page of ours.
    }
  }
  return {view: 'not_found', hash}
}

export const OVERVIEW_HREF = '#/'

export function stackHref(address: string): string {
  return `${STACK_PREFIX}${encodeURIComponent(address)}`
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash))
  useEffect(() => {
    const follow = () => setRoute(parseRoute(location.hash))
    addEventListener('hashchange', follow)
    return () => removeEventListener('hashchange', follow)
  }, [])
  return route
}
