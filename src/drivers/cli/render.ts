import chalk from 'chalk'

/** A plain, aligned text table; colour codes do not count towards the width. */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, column) =>
    Math.max(visibleLength(header), ...rows.map((row) => visibleLength(row[column] ?? ''))),
  )
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell + ' '.repeat(widths[column]! - visibleLength(cell))))
      .join('  ')
      .trimEnd()
  return [line(headers.map((header) => chalk.bold(header))), ...rows.map(line)].join('\n')
}

export function shortCommit(commit: string | null | undefined): string {
  return commit ? commit.slice(0, 7) : '-'
}

const STATUS_COLOURS: Record<string, (text: string) => string> = {
  success: chalk.green,
  failed: chalk.red,
  pending: chalk.yellow,
  rolled_back: chalk.magenta,
}

export function colourStatus(status: string): string {
  return (STATUS_COLOURS[status] ?? ((text: string) => text))(status)
}

function visibleLength(text: string): number {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '').length
}
