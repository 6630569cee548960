/**
 * Orders strings by their UTF-16 code units, the same on every host. Not localeCompare: its order
 * depends on the ICU collation in use, and loading that collation costs serve about 2 MB of memory for
 * the life of the process (bench/idle-cost.ts measures serve's memory; docs/performance.md).
 */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
