/** The longest tool output kedge relays in an error: one line a person reads, the whole of it stays behind --debug. */
export const RELAYED_OUTPUT_LIMIT = 500

/** `text` as one line of at most `limit` characters, its end cut and marked when longer. */
export function boundedLine(text: string, limit = RELAYED_OUTPUT_LIMIT): string {
  const line = text.replace(/\s*[\r\n]+\s*/g, ' ').trim()
  return line.length <= limit ? line : `${line.slice(0, limit - 1)}…`
}

/** How a Go program (Compose v2, a credential helper) says it crashed, before its goroutine dump. */
const GO_CRASH = /^(fatal error: |panic: |runtime: out of memory)/
const GOROUTINE_DUMP = /^(goroutine \d+ .*\[.*\]:$|runtime stack:$)/

/**
 * Of a tool's output lines, the one that says it crashed, when it did: a Go runtime's `fatal error: ...` or
 * `panic: ...`, whose goroutine dump follows. Null for an ordinary refusal.
 */
export function crashLine(lines: readonly string[]): string | null {
  const first = lines.findIndex((line) => GO_CRASH.test(line))
  if (first < 0) return null
  // "panic: ..." is also a word a tool could print in a message of its own: only a dump makes it a crash.
  if (!lines.slice(first + 1).some((line) => GOROUTINE_DUMP.test(line))) return null
  return lines[first]!
}
