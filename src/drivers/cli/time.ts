/** A timestamp in the machine's local time zone, to the second: "2026-11-22 07:05:09". */
export function localTime(iso: string | null | undefined): string {
  if (!iso) return '-'
  const date = new Date(iso)
  const pad = (value: number) => String(value).padStart(2, '0')
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
}

export function elapsed(fromIso: string, toIso: string | null): string {
  if (!toIso) return '-'
  const ms = new Date(toIso).getTime() - new Date(fromIso).getTime()
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 1000)}s`
}
