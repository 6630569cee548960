/**
 * The commands closest to one that does not exist (`kedge statu`: status), for "did you mean". Distance is
 * Damerau-Levenshtein (a swap of two letters counts one) over the whole command, spaces included; a
 * command that starts with what was typed counts as close whatever its length (`kedge repo` → repo add…).
 */
export function closestCommands(typed: string, commands: readonly string[], limit = 3): string[] {
  const wanted = typed.trim().toLowerCase()
  if (wanted.length === 0) return []
  // Up to a third of the letters may be wrong, and always one: short commands get one typo, long ones more.
  const allowed = Math.max(1, Math.floor(wanted.length / 3))
  const near = commands
    .map((command) => ({command, distance: command.startsWith(`${wanted} `) ? 0 : editDistance(wanted, command)}))
    .filter(({distance}) => distance <= allowed)
  // Only the closest: `repo lsit` is one swap from repo list, and two edits from repo set.
  const best = Math.min(...near.map(({distance}) => distance))
  return near
    .filter(({distance}) => distance === best)
    .sort((a, b) => a.command.localeCompare(b.command))
    .slice(0, limit)
    .map(({command}) => command)
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({length: a.length + 1}, (_, i) => Array.from({length: b.length + 1}, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1)
      rows[i]![j] = best
    }
  }
  return rows[a.length]![b.length]!
}
