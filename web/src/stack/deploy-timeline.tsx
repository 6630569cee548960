import type {DeploymentView} from '../api/types.js'
import {duration, plural, secondsBetween, shortSha} from '../format.js'
import {statusLabel, statusTone, type Tone} from '../health.js'
import {isHoldRow} from './hold-rows.js'

const WIDTH = 640
const HEIGHT = 140
const LEFT = 52
const RIGHT = 6
const TOP = 8
const BOTTOM = 20
const PLOT_WIDTH = WIDTH - LEFT - RIGHT
const PLOT_HEIGHT = HEIGHT - TOP - BOTTOM

interface Bar {
  row: DeploymentView
  seconds: number | null
}

/** How long each deploy took, oldest on the left; the colour of a bar is its outcome, which its title and the summary also say. */
export function DeployTimeline({rows}: {rows: DeploymentView[]}) {
  const bars: Bar[] = rows
    .filter((row) => !isHoldRow(row))
    .reverse()
    .map((row) => ({row, seconds: secondsBetween(row.startedAt, row.finishedAt)}))
  if (bars.length === 0) return null
  const top = niceCeiling(Math.max(...bars.map((bar) => bar.seconds ?? 0)))
  const slot = PLOT_WIDTH / bars.length
  const barWidth = Math.max(2, Math.min(24, slot * 0.7))
  const y = (seconds: number) => TOP + PLOT_HEIGHT - (seconds / top) * PLOT_HEIGHT
  return (
    <figure class="timeline">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby="timeline-title timeline-desc" preserveAspectRatio="xMidYMid meet">
        <title id="timeline-title">How long each deploy took, oldest to newest</title>
        <desc id="timeline-desc">{summaryOf(bars)}</desc>
        {[0, top / 2, top].map((tick) => (
          <g key={tick} class="axis">
            <line x1={LEFT} x2={WIDTH - RIGHT} y1={y(tick)} y2={y(tick)} class={tick === 0 ? 'axis-base' : 'axis-grid'} />
            <text x={LEFT - 6} y={y(tick)} text-anchor="end" dominant-baseline="middle">
              {tick === 0 ? '0' : duration(tick)}
            </text>
          </g>
        ))}
        {bars.map((bar, index) => {
          const height = bar.seconds === null ? PLOT_HEIGHT : Math.max(2, (bar.seconds / top) * PLOT_HEIGHT)
          return (
            <rect
              key={bar.row.id}
              class={`bar tone-${bar.seconds === null ? 'pending' : statusTone(bar.row.status)}`}
              x={LEFT + slot * index + (slot - barWidth) / 2}
              y={TOP + PLOT_HEIGHT - height}
              width={barWidth}
              height={height}
              rx={1.5}
            >
              <title>{barTitle(bar)}</title>
            </rect>
          )
        })}
        <text x={LEFT} y={HEIGHT - 4} class="axis-label">
          {shortDate(bars[0]!.row.startedAt)}
        </text>
        <text x={WIDTH - RIGHT} y={HEIGHT - 4} text-anchor="end" class="axis-label">
          {shortDate(bars[bars.length - 1]!.row.startedAt)}
        </text>
      </svg>
      <figcaption class="legend">
        {LEGEND.map(([tone, label]) => (
          <span key={tone} class="legend-item">
            <span class={`swatch tone-${tone}`} aria-hidden="true" />
            {label}
          </span>
        ))}
      </figcaption>
    </figure>
  )
}

const LEGEND: Array<[Tone | 'pending', string]> = [
  ['good', 'success'],
  ['bad', 'failed'],
  ['warn', 'rolled back'],
  ['muted', 'skipped or removed'],
  ['pending', 'under way'],
]

function summaryOf(bars: Bar[]): string {
  const counts = new Map<string, number>()
  for (const {row} of bars) counts.set(row.status, (counts.get(row.status) ?? 0) + 1)
  const outcomes = [...counts].map(([status, count]) => `${count} ${statusLabel(status)}`).join(', ')
  const timed = bars.filter((bar) => bar.seconds !== null).sort((a, b) => b.seconds! - a.seconds!)
  const longest = timed[0]
  const median = timed[Math.floor(timed.length / 2)]
  const span = `${plural(bars.length, 'deploy')} from ${shortDate(bars[0]!.row.startedAt)} to ${shortDate(bars[bars.length - 1]!.row.startedAt)}: ${outcomes}.`
  if (!longest || !median) return span
  return `${span} The longest took ${duration(longest.seconds!)} (${shortSha(longest.row.commit)}), the median ${duration(median.seconds!)}.`
}

function barTitle({row, seconds}: Bar): string {
  return `${shortSha(row.commit)} ${statusLabel(row.status)} (${row.trigger}), ${seconds === null ? 'under way' : duration(seconds)}, started ${row.startedAt}`
}

/** 1, 2 or 5 times a power of ten: gridlines at round numbers of seconds. */
function niceCeiling(seconds: number): number {
  if (seconds <= 1) return 1
  const power = 10 ** Math.floor(Math.log10(seconds))
  return ([1, 2, 5, 10].find((step) => step * power >= seconds) ?? 10) * power
}

const dateFormat = new Intl.DateTimeFormat('en', {month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false})

function shortDate(iso: string): string {
  const time = Date.parse(iso)
  return Number.isNaN(time) ? iso : dateFormat.format(time)
}
