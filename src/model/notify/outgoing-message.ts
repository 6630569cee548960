/**
 * What kedge sends out, as plain data: an HTTP request (a webhook, a forge's status API) or a mail. The
 * model builds it; the messenger adapter (src/adapters/notify) only delivers it.
 */
export type OutgoingMessage = OutgoingRequest | OutgoingMail

export interface OutgoingRequest {
  kind: 'http'
  url: string
  method: 'POST' | 'PUT'
  headers: Record<string, string>
  body: string
}

export interface OutgoingMail {
  kind: 'mail'
  host: string
  port: number
  /** TLS from the first byte (SMTPS, port 465). */
  secure: boolean
  /** Upgrade with STARTTLS, and refuse to send in the clear when the server does not offer it. */
  requireStartTls: boolean
  user: string | null
  password: string | null
  from: string
  to: string[]
  subject: string
  text: string
}

/** What the receiver answered: the HTTP status, or the SMTP server's last reply; and the start of its body. */
export interface Delivery {
  status: number | null
  answer: string
}
