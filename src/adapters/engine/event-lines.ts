import type {EngineEvent} from '../../ports/engine.js'

/** An event is a line of a few kilobytes; this much without a line break is not an event stream any more. */
export const MAX_EVENT_LINE_CHARS = 1024 * 1024

/** How much of an unreadable line an error quotes. */
const QUOTED_CHARS = 200

/** One line of the engine's event stream (JSON) as an event; throws, saying why, when it is not one. */
export function parseEngineEvent(line: string): EngineEvent {
  let raw: unknown
  try {
    raw = JSON.parse(line)
  } catch (error) {
    throw new Error(`an event line that is not JSON (${(error as Error).message}): ${quoted(line)}`)
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`an event line that is not a JSON object: ${quoted(line)}`)
  const event = raw as {Type?: unknown; Action?: unknown; status?: unknown; id?: unknown; Actor?: {ID?: unknown; Attributes?: unknown} | null; timeNano?: unknown}
  // Nanoseconds since the epoch are past 2^53: JSON.parse rounds them, to a whole number still.
  const timeNano = event.timeNano ?? 0
  if (typeof timeNano !== 'number' || !Number.isInteger(timeNano) || timeNano < 0) throw new Error(`an event whose timeNano is not a time: ${quoted(line)}`)
  const attributes = event.Actor?.Attributes ?? {}
  if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes)) throw new Error(`an event whose Actor.Attributes is not a mapping: ${quoted(line)}`)
  return {
    // Engines before API 1.22 sent no Type, and only container events.
    type: textOf(event.Type ?? 'container'),
    action: textOf(event.Action ?? event.status),
    actorId: textOf(event.Actor?.ID ?? event.id),
    labels: Object.fromEntries(Object.entries(attributes).map(([key, value]) => [key, textOf(value)])),
    timeNano: BigInt(timeNano),
  }
}

/** The start of an unreadable line, for the log: enough to recognise it, never a flood. */
export function quoted(line: string): string {
  return JSON.stringify(line.length > QUOTED_CHARS ? `${line.slice(0, QUOTED_CHARS)}…` : line)
}

function textOf(value: unknown): string {
  return typeof value === 'string' ? value : ''
}
