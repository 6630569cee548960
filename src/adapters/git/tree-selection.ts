import path from 'node:path'

/** A file of a git tree as `git ls-tree -r` lists it: a blob, a symbolic link (a blob of mode 120000) or a submodule. */
export interface TreeEntry {
  mode: string
  type: string
  id: string
  path: string
}

const SYMLINK_MODE = '120000'
/** Symbolic links that lead to more symbolic links are followed this many times, then the whole tree is placed. */
const MAX_LINK_ROUNDS = 40

/**
 * The entries of a tree to place for `paths` (files or directories, relative to the tree's root): those
 * at or under them, and, followed until none is left, what each symbolic link among them (or on the way
 * to them) points to inside the tree, since a bind mount reads through a link as Compose and Docker
 * follow it. A link that leaves the tree points at the host, wherever the tree is placed. `readLinks`
 * gives the target of each link by its object id. Pure but for `readLinks`.
 */
export async function entriesToPlace(entries: readonly TreeEntry[], paths: readonly string[], readLinks: (ids: string[]) => Promise<Map<string, string>>): Promise<TreeEntry[]> {
  const wanted = new Set(paths)
  const followed = new Set<string>()
  const isLink = (entry: TreeEntry) => entry.mode === SYMLINK_MODE
  const covered = (file: string) => [...wanted].some((chosen) => file === chosen || file.startsWith(`${chosen}/`))
  const leadsToWanted = (link: string) => [...wanted].some((chosen) => chosen.startsWith(`${link}/`))
  for (let round = 0; round < MAX_LINK_ROUNDS; round++) {
    const links = entries.filter((entry) => isLink(entry) && !followed.has(entry.path) && (covered(entry.path) || leadsToWanted(entry.path)))
    if (links.length === 0) return entries.filter((entry) => covered(entry.path) || (isLink(entry) && leadsToWanted(entry.path)))
    const targets = await readLinks([...new Set(links.map((link) => link.id))])
    for (const link of links) {
      followed.add(link.path)
      const target = linkTarget(link.path, targets.get(link.id))
      if (target === null) continue
      if (target === '') return [...entries]
      // A link in the selection is read whole; of a linked directory on the way to a wanted path, what lies beyond it.
      const beyond = [...wanted].filter((chosen) => chosen.startsWith(`${link.path}/`)).map((chosen) => `${target}/${chosen.slice(link.path.length + 1)}`)
      for (const file of [...(covered(link.path) ? [target] : []), ...beyond]) wanted.add(file)
    }
  }
  return [...entries]
}

/** Where a link at `link` pointing to `text` leads, relative to the tree's root: '' for the root, null outside the tree. */
function linkTarget(link: string, text: string | undefined): string | null {
  if (text === undefined || path.posix.isAbsolute(text)) return null
  const target = path.posix.normalize(path.posix.join(path.posix.dirname(link), text)).replace(/\/+$/, '')
  if (target === '..' || target.startsWith('../')) return null
  return target === '.' ? '' : target
}

/** `git ls-tree -r -z` output as entries. */
export function parseTreeListing(output: string): TreeEntry[] {
  const entries: TreeEntry[] = []
  for (const line of output.split('\0')) {
    const match = /^(\d+) (\w+) ([0-9a-f]+)\t(.+)$/s.exec(line)
    if (match) entries.push({mode: match[1]!, type: match[2]!, id: match[3]!, path: match[4]!})
  }
  return entries
}

/** Entries as `git update-index -z --index-info` reads them. */
export function indexInfo(entries: readonly TreeEntry[]): string {
  return entries.map((entry) => `${entry.mode} ${entry.type} ${entry.id}\t${entry.path}\0`).join('')
}
