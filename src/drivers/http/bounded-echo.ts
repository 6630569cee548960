/** The most of a request's own text (its path, say) an answer repeats. */
export const ECHO_LIMIT = 120

/** A request's text as an answer may repeat it: at most ECHO_LIMIT characters, and says when it was cut. */
export function boundedEcho(text: string): string {
  const characters = [...text]
  if (characters.length <= ECHO_LIMIT) return text
  return `${characters.slice(0, ECHO_LIMIT).join('')}... (${characters.length - ECHO_LIMIT} more characters)`
}
