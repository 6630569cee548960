const SECTION_HEADER = /^\[\s*([A-Za-z0-9.-]+)(?:\s+"((?:[^"\\]|\\.)*)")?\s*\]/
const KEY = /^([A-Za-z][A-Za-z0-9-]*)\s*(?=$|=|[#;])/

/** One setting's name: its section lower-cased, and the whole name as git spells it (`url.<base>.insteadof`). */
export interface GitConfigKey {
  section: string
  name: string
}

/**
 * The names a git config file sets: `section.key` or `section.subsection.key`, section and key
 * lower-cased. Values are skipped (continuation lines and quotes followed, so a value never passes
 * for a name); null when the text is not a config file git would read.
 */
export function gitConfigKeys(text: string): GitConfigKey[] | null {
  const keys: GitConfigKey[] = []
  let section: {name: string; prefix: string} | null = null
  // Set while a value runs on: whether it is inside quotes where the previous line ended.
  let continued: {quoted: boolean} | null = null
  for (const rawLine of text.split('\n')) {
    if (continued) {
      continued = valueContinues(rawLine, continued.quoted)
      continue
    }
    let line = rawLine.replace(/\r$/, '').trimStart()
    if (line.length === 0 || line.startsWith('#') || line.startsWith(';')) continue
    if (line.startsWith('[')) {
      const header = SECTION_HEADER.exec(line)
      if (!header) return null
      const [name, ...legacySubsection] = header[1]!.split('.')
      // [section.sub] is the old spelling of [section "sub"], whose subsection git lower-cases.
      const subsection = header[2]?.replace(/\\(.)/g, '$1') ?? (legacySubsection.length > 0 ? legacySubsection.join('.').toLowerCase() : undefined)
      const lowered = name!.toLowerCase()
      section = {name: lowered, prefix: subsection === undefined ? lowered : `${lowered}.${subsection}`}
      line = line.slice(header[0].length).trimStart()
      if (line.length === 0 || line.startsWith('#') || line.startsWith(';')) continue
    }
    const key = KEY.exec(line)
    if (!key || section === null) return null
    keys.push({section: section.name, name: `${section.prefix}.${key[1]!.toLowerCase()}`})
    const rest = line.slice(key[0].length)
    continued = rest.startsWith('=') ? valueContinues(rest.slice(1), false) : null
  }
  return keys
}

/** Whether a value runs on to the next line (it ends in a backslash that is neither escaped nor in a comment), and in quotes or not. */
function valueContinues(value: string, quotedAtStart: boolean): {quoted: boolean} | null {
  const text = value.replace(/\r$/, '')
  let quoted = quotedAtStart
  for (let i = 0; i < text.length; i++) {
    const char = text[i]
    if (char === '\\') {
      if (i === text.length - 1) return {quoted}
      i++
    } else if (char === '"') {
      quoted = !quoted
    } else if (!quoted && (char === '#' || char === ';')) {
      return null
    }
  }
  return null
}
