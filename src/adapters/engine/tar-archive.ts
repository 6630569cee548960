/**
 * A tar archive (POSIX ustar) of a few entries, as the engine's `PUT /containers/{id}/archive` takes it:
 * the files kedge puts in a container, and the directories they need. Written here rather than with a
 * package: a few headers of fixed layout, for archives kedge makes itself.
 */
export interface TarEntry {
  /** Relative to where the archive is extracted, without a leading "/". */
  name: string
  /** Absent for a directory. */
  content?: Buffer
  mode: number
}

const BLOCK = 512

export function tarArchive(entries: readonly TarEntry[]): Buffer {
  const blocks: Buffer[] = []
  for (const entry of entries) {
    const content = entry.content ?? Buffer.alloc(0)
    blocks.push(header(entry, content.length), content, Buffer.alloc(padding(content.length)))
  }
  // The end of an archive: two empty blocks.
  blocks.push(Buffer.alloc(2 * BLOCK))
  return Buffer.concat(blocks)
}

function header(entry: TarEntry, size: number): Buffer {
  const block = Buffer.alloc(BLOCK)
  const directory = entry.content === undefined
  const {name, prefix} = splitName(directory ? `${entry.name.replace(/\/$/, '')}/` : entry.name)
  block.write(name, 0, 100, 'utf8')
  octal(block, 100, 8, entry.mode & 0o7777)
  octal(block, 108, 8, 0)
  octal(block, 116, 8, 0)
  octal(block, 124, 12, size)
  octal(block, 136, 12, 0)
  block.write(directory ? '5' : '0', 156, 1, 'ascii')
  block.write('ustar\0', 257, 6, 'ascii')
  block.write('00', 263, 2, 'ascii')
  block.write(prefix, 345, 155, 'utf8')
  // The checksum is the sum of the header's bytes with its own field counted as spaces.
  block.fill(' ', 148, 156)
  const sum = block.reduce((total, byte) => total + byte, 0)
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii')
  return block
}

/** ustar keeps a name of up to 100 bytes, and a prefix of up to 155 before it, split at a "/". */
function splitName(full: string): {name: string; prefix: string} {
  if (Buffer.byteLength(full) <= 100) return {name: full, prefix: ''}
  const cut = full.lastIndexOf('/', full.length - 2)
  const name = full.slice(cut + 1)
  const prefix = full.slice(0, cut)
  if (cut <= 0 || Buffer.byteLength(name) > 100 || Buffer.byteLength(prefix) > 155) throw new Error(`a path too long for a tar archive: ${full}`)
  return {name, prefix}
}

function octal(block: Buffer, offset: number, length: number, value: number): void {
  block.write(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, length, 'ascii')
}

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK
}
