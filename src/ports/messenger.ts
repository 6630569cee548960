import type {Delivery, OutgoingMessage} from '../model/notify/outgoing-message.js'

/** Delivers what kedge sends out (notifications, commit statuses) to its receiver. */
export interface Messenger {
  /**
   * Sends the message once. Throws an ExternalError with code `notify_failed` when the receiver cannot be
   * reached, does not answer within `timeoutMs`, or refuses (an HTTP status outside 2xx, an SMTP error):
   * the message says which, with the receiver's answer, redacted.
   */
  deliver(message: OutgoingMessage, options: {timeoutMs: number; signal?: AbortSignal}): Promise<Delivery>
}
