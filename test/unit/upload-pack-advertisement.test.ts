import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {BranchAdvertisementReader, readBranchFromAdvertisement} from '../../src/adapters/git/upload-pack-advertisement.js'

const MAIN = 'a'.repeat(40)
const DEV = 'b'.repeat(40)
const TAG = 'c'.repeat(40)
const PEELED = 'd'.repeat(40)
const CAPABILITIES = 'multi_ack thin-pack side-band side-band-64k ofs-delta shallow no-progress include-tag symref=HEAD:refs/heads/main agent=git/2.39.5'

/** One pkt-line: four hex digits of length (themselves included), then the payload. */
function pkt(payload: string): string {
  return `${(Buffer.byteLength(payload) + 4).toString(16).padStart(4, '0')}${payload}`
}
const FLUSH = '0000'
const SERVICE = `${pkt('# service=git-upload-pack\n')}${FLUSH}`

function advertisement(...refs: string[]): Buffer {
  return Buffer.from(`${SERVICE}${refs.map(pkt).join('')}${FLUSH}`)
}

const TYPICAL = advertisement(
  `${MAIN} HEAD\0${CAPABILITIES}\n`,
  `${DEV} refs/heads/dev\n`,
  `${MAIN} refs/heads/main\n`,
  `${TAG} refs/tags/v1\n`,
  `${PEELED} refs/tags/v1^{}\n`,
)

describe('reading a branch from a smart HTTP ref advertisement', () => {
  it('finds the branch among HEAD, other branches and peeled tags', () => {
    assert.deepEqual(readBranchFromAdvertisement(TYPICAL, 'main'), {kind: 'head', commit: MAIN})
    assert.deepEqual(readBranchFromAdvertisement(TYPICAL, 'dev'), {kind: 'head', commit: DEV})
  })

  it('says there is no such branch only after the final flush', () => {
    assert.deepEqual(readBranchFromAdvertisement(TYPICAL, 'release'), {kind: 'no-branch'})
    // A branch is not matched by a ref that merely starts or ends like it.
    assert.deepEqual(readBranchFromAdvertisement(TYPICAL, 'mai'), {kind: 'no-branch'})
    assert.deepEqual(readBranchFromAdvertisement(advertisement(`${MAIN} refs/heads/main/x\0${CAPABILITIES}`), 'main'), {kind: 'no-branch'})
    assert.deepEqual(readBranchFromAdvertisement(advertisement(`${MAIN} refs/tags/main\0${CAPABILITIES}`), 'main'), {kind: 'no-branch'})
  })

  it('reads the first ref from the capabilities line, with or without a line feed', () => {
    assert.deepEqual(readBranchFromAdvertisement(advertisement(`${MAIN} refs/heads/main\0${CAPABILITIES}`), 'main'), {kind: 'head', commit: MAIN})
    assert.deepEqual(readBranchFromAdvertisement(advertisement(`${MAIN} HEAD\0${CAPABILITIES}`, `${DEV} refs/heads/dev`), 'dev'), {kind: 'head', commit: DEV})
  })

  it('reads an empty repository as one without the branch', () => {
    const empty = advertisement(`${'0'.repeat(40)} capabilities^{}\0${CAPABILITIES}\n`)
    assert.deepEqual(readBranchFromAdvertisement(empty, 'main'), {kind: 'no-branch'})
    assert.deepEqual(readBranchFromAdvertisement(Buffer.from(`${SERVICE}${FLUSH}`), 'main'), {kind: 'no-branch'})
  })

  it('accepts protocol v1, shallow lines and lines git ignores before the first flush', () => {
    const v1 = Buffer.from(`${pkt('# service=git-upload-pack\n')}${pkt('something a server adds\n')}${FLUSH}${pkt('version 1\n')}${pkt(`${DEV} refs/heads/dev\0${CAPABILITIES}\n`)}${pkt(`shallow ${TAG}\n`)}${FLUSH}`)
    assert.deepEqual(readBranchFromAdvertisement(v1, 'dev'), {kind: 'head', commit: DEV})
    assert.deepEqual(readBranchFromAdvertisement(v1, 'main'), {kind: 'no-branch'})
  })

  it('takes 64-hex object ids from a SHA-256 repository, and only from one', () => {
    const id = 'e'.repeat(64)
    const sha256 = advertisement(`${id} HEAD\0${CAPABILITIES} object-format=sha256\n`, `${id} refs/heads/main\n`)
    assert.deepEqual(readBranchFromAdvertisement(sha256, 'main'), {kind: 'head', commit: id})
    const mixed = advertisement(`${MAIN} HEAD\0${CAPABILITIES}\n`, `${id} refs/heads/main\n`)
    assert.equal(readBranchFromAdvertisement(mixed, 'main').kind, 'unusable')
    const unknownFormat = advertisement(`${id} HEAD\0object-format=sha512\n`)
    assert.match(reason(unknownFormat, 'main'), /object format "sha512"/)
  })

  it('gives the answer as soon as the branch is read, before the rest arrives', () => {
    const reader = new BranchAdvertisementReader('dev')
    const text = TYPICAL.toString('latin1')
    const cut = text.indexOf('refs/heads/dev\n') + 'refs/heads/dev\n'.length
    assert.equal(reader.push(Buffer.from(text.slice(0, cut - 3), 'latin1')), null)
    assert.deepEqual(reader.push(Buffer.from(text.slice(cut - 3, cut), 'latin1')), {kind: 'head', commit: DEV})
  })

  it('reads an answer split anywhere, down to one byte at a time', () => {
    for (const branch of ['main', 'release']) {
      const reader = new BranchAdvertisementReader(branch)
      let answer = null
      for (let i = 0; i < TYPICAL.length && !answer; i++) answer = reader.push(TYPICAL.subarray(i, i + 1))
      assert.deepEqual(answer ?? reader.end(), readBranchFromAdvertisement(TYPICAL, branch))
    }
  })

  it('compares a branch with non-ASCII characters byte for byte', () => {
    const body = advertisement(`${MAIN} HEAD\0${CAPABILITIES}\n`, `${DEV} refs/heads/déploiement\n`)
    assert.deepEqual(readBranchFromAdvertisement(body, 'déploiement'), {kind: 'head', commit: DEV})
  })

  const unusable: Array<[string, Buffer, RegExp]> = [
    ['a protocol v2 answer', Buffer.from(`${SERVICE}${pkt('version 2\n')}${pkt('agent=git/2.39.5\n')}${pkt('ls-refs=unborn\n')}${FLUSH}`), /protocol v2/],
    ['a v2 answer without the service line', Buffer.from(`${pkt('version 2\n')}${FLUSH}`), /no "# service=git-upload-pack" line/],
    // Its object id's first four hex digits read as a length longer than the body.
    ['a dumb server\'s info/refs', Buffer.from(`${MAIN}\trefs/heads/main\n`), /cut off before its final flush/],
    ['an HTML page', Buffer.from('<html><body>Sign in</body></html>'), /not 4 hex digits/],
    ['another service', Buffer.from(`${pkt('# service=git-receive-pack\n')}${FLUSH}`), /no "# service=git-upload-pack" line/],
    ['a delimiter packet', Buffer.from(`${SERVICE}0001${FLUSH}`), /special packet 0001/],
    ['a length of 3', Buffer.from(`${SERVICE}0003${FLUSH}`), /special packet 0003/],
    ['a packet longer than pkt-line allows', Buffer.from(`${SERVICE}fff1${'x'.repeat(70_000)}`), /65521 bytes/],
    ['a body cut short in a packet', Buffer.from(`${SERVICE}${pkt(`${MAIN} HEAD\0${CAPABILITIES}\n`).slice(0, 30)}`), /cut off before its final flush/],
    ['a body without its final flush', Buffer.from(`${SERVICE}${pkt(`${MAIN} HEAD\0${CAPABILITIES}\n`)}`), /cut off before its final flush/],
    ['bytes after the final flush', Buffer.concat([TYPICAL, Buffer.from(pkt('extra\n'))]), /after the final flush/],
    ['a stray byte after the final flush', Buffer.concat([TYPICAL, Buffer.from('0')]), /after the final flush/],
    ['a first ref without capabilities', advertisement(`${MAIN} refs/heads/dev\n`), /without capabilities/],
    ['an abbreviated object id', advertisement(`${MAIN} HEAD\0${CAPABILITIES}\n`, `${MAIN.slice(0, 12)} refs/heads/dev\n`), /is not "<object id> <ref>"/],
    ['an upper-case object id', advertisement(`${MAIN} HEAD\0${CAPABILITIES}\n`, `${'A'.repeat(40)} refs/heads/dev\n`), /is not "<object id> <ref>"/],
    ['a tab instead of a space', advertisement(`${MAIN} HEAD\0${CAPABILITIES}\n`, `${DEV}\trefs/heads/dev\n`), /is not "<object id> <ref>"/],
    ['a ref name with a space', advertisement(`${MAIN} HEAD\0${CAPABILITIES}\n`, `${DEV} refs/heads/a b\n`), /is not "<object id> <ref>"/],
    ['a second capabilities line', advertisement(`${MAIN} HEAD\0${CAPABILITIES}\n`, `${DEV} refs/heads/dev\0${CAPABILITIES}\n`), /is not "<object id> <ref>"/],
    ['a zero id for the branch', advertisement(`${MAIN} HEAD\0${CAPABILITIES}\n`, `${'0'.repeat(40)} refs/heads/release\n`), /zero object id/],
    ['a ref after a shallow line', advertisement(`${MAIN} HEAD\0${CAPABILITIES}\n`, `shallow ${TAG}\n`, `${DEV} refs/heads/dev\n`), /only shallow lines may follow/],
    ['an ERR packet', Buffer.from(`${SERVICE}${pkt('ERR access denied\n')}`), /ERR packet/],
    ['a flush before the service line', Buffer.from(`${FLUSH}${SERVICE}`), /flush before/],
  ]
  for (const [what, body, why] of unusable) {
    it(`leaves ${what} to git`, () => {
      // A branch the answer lacks: the whole answer is read.
      assert.match(reason(body, 'release'), why)
    })
  }
})

function reason(body: Buffer, branch: string): string {
  const answer = readBranchFromAdvertisement(body, branch)
  assert.equal(answer.kind, 'unusable', JSON.stringify(answer))
  return (answer as {reason: string}).reason
}
