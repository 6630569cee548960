/** An id for X-Kedge-Action (8 to 64 of [A-Za-z0-9_-]); getRandomValues works on plain http too, unlike randomUUID. */
export function newActionId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12))
  return `dash-${Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')}`
}
