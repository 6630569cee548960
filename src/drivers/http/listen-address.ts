export interface ListenAddress {
  host: string
  port: number
}

/** `HOST:PORT` or `[IPv6]:PORT`; port 0 picks a free one. */
export function parseListenAddress(input: string): ListenAddress | null {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(input.trim())
  if (!match) return null
  const port = Number(match[3])
  if (port > 65535) return null
  return {host: match[1] ?? match[2]!, port}
}
