import {OBJECT_ID_LENGTH} from './object-id.js'

/** What an advertisement says about one branch, or why it cannot be trusted to say. */
export type AdvertisementAnswer =
  | {kind: 'head'; commit: string}
  | {kind: 'no-branch'}
  | {kind: 'unusable'; reason: string}

/** pkt-line's largest packet, its 4 length digits included (git's LARGE_PACKET_MAX). */
const MAX_PACKET = 65_520

type Phase = 'service' | 'preamble' | 'first-ref' | 'refs' | 'shallow' | 'done'

/**
 * Reads the body of smart HTTP's `GET info/refs?service=git-upload-pack` (protocol v0, or v1 with its
 * `version 1` line) as it arrives, to find one branch: `# service=git-upload-pack`, the lines git
 * ignores up to a flush, then `<oid> <ref>\0<capabilities>`, more `<oid> <ref>`, `shallow <oid>`
 * lines and a final flush. Anything else (protocol v2, an ERR packet, a bad length, an object id of
 * the wrong length or shape, bytes after the final flush) makes it unusable, so that git is asked.
 *
 * The answer is given as soon as the branch's line is read: a well-formed line cannot be taken back
 * by what follows, and refs/heads comes before the many pull-request refs and tags of a large remote
 * (upload-pack sends refs sorted). Only "no such branch" needs the whole body.
 */
export class BranchAdvertisementReader {
  private readonly wanted: string
  private pending: Buffer = Buffer.alloc(0)
  private phase: Phase = 'service'
  private refLine = refLinePattern(OBJECT_ID_LENGTH.sha1!)
  private shallowLine = shallowLinePattern(OBJECT_ID_LENGTH.sha1!)

  constructor(branch: string) {
    // latin1 maps bytes to characters one to one: a ref name is compared byte for byte.
    this.wanted = Buffer.from(`refs/heads/${branch}`, 'utf8').toString('latin1')
  }

  /** The next bytes of the body: the answer once it is known, else null. */
  push(chunk: Buffer): AdvertisementAnswer | null {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk])
    let offset = 0
    for (;;) {
      if (this.pending.length - offset < 4) break
      const digits = this.pending.toString('latin1', offset, offset + 4)
      if (!/^[0-9a-fA-F]{4}$/.test(digits)) return unusable(`a pkt-line length "${printable(digits)}" that is not 4 hex digits`)
      const length = Number.parseInt(digits, 16)
      if (this.phase === 'done') return unusable('data after the final flush')
      if (length === 0) {
        offset += 4
        const answer = this.flush()
        if (answer) return answer
        continue
      }
      if (length < 4) return unusable(`a special packet ${digits} that protocol v0 does not have`)
      if (length > MAX_PACKET) return unusable(`a pkt-line of ${length} bytes, more than ${MAX_PACKET}`)
      if (this.pending.length - offset < length) break
      const line = this.pending.toString('latin1', offset + 4, offset + length).replace(/\n$/, '')
      offset += length
      const answer = this.line(line)
      if (answer) return answer
    }
    this.pending = this.pending.subarray(offset)
    return null
  }

  /** The body ended: the answer, or unusable when it ended before the final flush. */
  end(): AdvertisementAnswer {
    if (this.phase !== 'done') return unusable('cut off before its final flush')
    if (this.pending.length > 0) return unusable('data after the final flush')
    return {kind: 'no-branch'}
  }

  private flush(): AdvertisementAnswer | null {
    switch (this.phase) {
      case 'service':
        return unusable('a flush before "# service=git-upload-pack"')
      case 'preamble':
        this.phase = 'first-ref'
        return null
      default:
        // A flush where the first ref was due is a remote with no refs at all.
        this.phase = 'done'
        return null
    }
  }

  private line(line: string): AdvertisementAnswer | null {
    if (line.startsWith('ERR ')) return unusable('an ERR packet')
    switch (this.phase) {
      case 'service':
        if (line !== '# service=git-upload-pack') return unusable('no "# service=git-upload-pack" line: not a smart HTTP answer')
        this.phase = 'preamble'
        return null
      case 'preamble':
        // Git ignores what a server adds here, up to the flush.
        return null
      case 'first-ref':
        return this.firstRef(line)
      case 'refs':
        if (line.startsWith('shallow ')) return this.shallow(line)
        return this.ref(line)
      case 'shallow':
        return this.shallow(line)
      default:
        return unusable('data after the final flush')
    }
  }

  private firstRef(line: string): AdvertisementAnswer | null {
    if (line === 'version 1') return null
    if (/^version \d+$/.test(line)) return unusable(`protocol ${line.slice('version '.length) === '2' ? 'v2' : line}, not v0 or v1`)
    const nul = line.indexOf('\0')
    if (nul === -1) return unusable('a first ref line without capabilities')
    const format = /(?:^| )object-format=(\S+)/.exec(line.slice(nul + 1))?.[1] ?? 'sha1'
    const length = OBJECT_ID_LENGTH[format]
    if (length === undefined) return unusable(`the object format "${printable(format)}"`)
    this.refLine = refLinePattern(length)
    this.shallowLine = shallowLinePattern(length)
    this.phase = 'refs'
    const ref = line.slice(0, nul)
    // An empty repository advertises only its capabilities, under a zero id.
    if (ref === `${'0'.repeat(length)} capabilities^{}`) return null
    return this.ref(ref)
  }

  private ref(line: string): AdvertisementAnswer | null {
    const match = this.refLine.exec(line)
    if (!match) return unusable(`a ref line "${printable(line)}" that is not "<object id> <ref>"`)
    if (match[2] !== this.wanted) return null
    if (/^0+$/.test(match[1]!)) return unusable('a zero object id for the branch')
    return {kind: 'head', commit: match[1]!}
  }

  private shallow(line: string): AdvertisementAnswer | null {
    if (!this.shallowLine.test(line)) return unusable(`a line "${printable(line)}" where only shallow lines may follow`)
    this.phase = 'shallow'
    return null
  }
}

/** `<oid> <ref>`: a ref name has no space or control character. */
function refLinePattern(objectIdLength: number): RegExp {
  return new RegExp(`^([0-9a-f]{${objectIdLength}}) ([^\\x00-\\x20\\x7f]+)$`)
}

function shallowLinePattern(objectIdLength: number): RegExp {
  return new RegExp(`^shallow [0-9a-f]{${objectIdLength}}$`)
}

/** A whole body at once. */
export function readBranchFromAdvertisement(body: Buffer, branch: string): AdvertisementAnswer {
  const reader = new BranchAdvertisementReader(branch)
  return reader.push(body) ?? reader.end()
}

function unusable(reason: string): AdvertisementAnswer {
  return {kind: 'unusable', reason: `ref advertisement: ${reason}`}
}

/** A short, control-free rendering of remote bytes for a reason. */
function printable(text: string): string {
  const safe = text.replace(/[^\x20-\x7e]/g, '?')
  return safe.length > 60 ? `${safe.slice(0, 60)}...` : safe
}
