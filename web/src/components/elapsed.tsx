import {useEffect, useState} from 'preact/hooks'

/** Seconds since `since`, counted by the page (no request): a long sync shows it is still under way. */
export function Elapsed({since}: {since: number}) {
  const [now, setNow] = useState(Date.now)
  useEffect(() => {
    const timer = setTimeout(() => setNow(Date.now()), 1000 - ((now - since) % 1000))
    return () => clearTimeout(timer)
  }, [now, since])
  return <span class="elapsed">{Math.floor((now - since) / 1000)} s</span>
}
