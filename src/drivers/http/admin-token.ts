import {createHash, timingSafeEqual} from 'node:crypto'

/** Compares digests, so the time taken says nothing about the token, its length included. */
export function tokenMatches(expected: string, presented: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest()
  return timingSafeEqual(digest(expected), digest(presented)) && presented.length > 0
}
