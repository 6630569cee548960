import type {KedgeEvent} from '../model/notify/kedge-event.js'

export type {KedgeEvent} from '../model/notify/kedge-event.js'

/** Takes kedge's events: it never throws and never waits, so that telling people never changes or delays what kedge does. */
export interface Announcer {
  announce(event: KedgeEvent): void
}
