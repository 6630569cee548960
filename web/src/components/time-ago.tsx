import {timeAgo} from '../format.js'

/** A time as people read it ("5 minutes ago"), the exact time on hover and for machines. */
export function TimeAgo({iso}: {iso: string}) {
  return (
    <time dateTime={iso} title={iso}>
      {timeAgo(iso)}
    </time>
  )
}
