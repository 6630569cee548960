import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {describe, it} from 'node:test'

import {BoundedText, liveChildCount, runChild, stopAllChildren} from '../../src/adapters/process/child-process.js'

/** Whether a process runs (a zombie waiting for its parent to reap it has ended). */
function running(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z'
  } catch {
    return false
  }
}

/** A shell that ignores SIGTERM, as a busy Compose does, with a child of its own that inherits that; prints the child's pid. */
const DEAF_TO_SIGTERM = ['-c', 'trap "" TERM; sleep 300 & echo $!; wait']

const base = {env: {PATH: process.env.PATH ?? ''}, maxStdoutBytes: 1024 * 1024}

describe('child processes', {timeout: 60_000}, () => {
  it('stops a tool that ignores SIGTERM with SIGKILL after the grace, and what it started with it', async () => {
    const started = Date.now()
    const outcome = await runChild({...base, file: 'sh', args: DEAF_TO_SIGTERM, timeoutMs: 300, killGraceMs: 700})
    const took = Date.now() - started
    assert.equal(outcome.stopped, 'timeout')
    assert.equal(outcome.signal, 'SIGKILL')
    assert.ok(took >= 1000 && took < 5000, `took ${took} ms`)
    const grandchild = Number(outcome.stdout.toString().trim())
    assert.ok(grandchild > 0)
    assert.equal(running(grandchild), false, 'the tool\'s own child is gone too')
    assert.equal(liveChildCount(), 0)
  })

  it('waits no grace for a tool that ends on SIGTERM', async () => {
    const started = Date.now()
    const outcome = await runChild({...base, file: 'sleep', args: ['300'], timeoutMs: 200, killGraceMs: 20_000})
    assert.equal(outcome.stopped, 'timeout')
    assert.equal(outcome.signal, 'SIGTERM')
    assert.ok(Date.now() - started < 5000)
  })

  it('stops the tool when the work is abandoned', async () => {
    const abandon = new AbortController()
    const running = runChild({...base, file: 'sh', args: DEAF_TO_SIGTERM, timeoutMs: 60_000, killGraceMs: 300, signal: abandon.signal})
    setTimeout(() => abandon.abort(), 100)
    const outcome = await running
    assert.equal(outcome.stopped, 'aborted')
    assert.equal(outcome.signal, 'SIGKILL')
  })

  it('stops a tool that prints more than it may, keeping no more of it', async () => {
    const outcome = await runChild({...base, file: 'yes', args: [], timeoutMs: 10_000, maxStdoutBytes: 64 * 1024})
    assert.equal(outcome.stopped, 'output_limit')
    assert.ok(outcome.stdout.length <= 64 * 1024)
  })

  it('gives a tool its input and its output back as it ended', async () => {
    const outcome = await runChild({...base, file: 'sh', args: ['-c', 'cat; echo oops >&2; exit 3'], input: 'hello', timeoutMs: 10_000})
    assert.deepEqual({code: outcome.code, stdout: outcome.stdout.toString(), stderr: outcome.stderr, stopped: outcome.stopped}, {code: 3, stdout: 'hello', stderr: 'oops\n', stopped: null})
  })

  it('rejects a tool that cannot be started', async () => {
    await assert.rejects(runChild({...base, file: 'kedge-no-such-tool', args: [], timeoutMs: 1000}), {code: 'ENOENT'})
    assert.equal(liveChildCount(), 0)
  })

  it('stops every running tool on request, SIGKILL for those that ignore SIGTERM', async () => {
    const runs = [runChild({...base, file: 'sleep', args: ['300'], timeoutMs: 60_000}), runChild({...base, file: 'sh', args: DEAF_TO_SIGTERM, timeoutMs: 60_000})]
    await new Promise((done) => setTimeout(done, 200))
    assert.equal(liveChildCount(), 2)
    await stopAllChildren(500)
    const [polite, deaf] = await Promise.all(runs)
    assert.equal(polite!.signal, 'SIGTERM')
    assert.equal(deaf!.signal, 'SIGKILL')
    assert.equal(liveChildCount(), 0)
  })

  it('kills the tools still running when kedge exits', async () => {
    const pidFile = path.join(mkdtempSync(path.join(tmpdir(), 'kedge-child-')), 'pid')
    const module = new URL('../../src/adapters/process/child-process.ts', import.meta.url).href
    const script = `
      import {existsSync, readFileSync} from 'node:fs'
      import {runChild} from ${JSON.stringify(module)}
      void runChild({file: 'sh', args: ['-c', 'trap "" TERM; sleep 300 & echo $! > ${pidFile}; wait'], env: process.env, timeoutMs: 60_000, maxStdoutBytes: 1024})
      // Once the tool has started its own child, whatever the machine's load.
      const started = setInterval(() => { if (existsSync(${JSON.stringify(pidFile)}) && readFileSync(${JSON.stringify(pidFile)}, 'utf8').trim()) { clearInterval(started); process.exit(0) } }, 20)
    `
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {encoding: 'utf8', timeout: 20_000})
    assert.equal(result.status, 0, result.stderr)
    const grandchild = Number(readFileSync(pidFile, 'utf8').trim())
    assert.ok(grandchild > 0)
    const deadline = Date.now() + 5000
    while (running(grandchild) && Date.now() < deadline) await new Promise((done) => setTimeout(done, 50))
    assert.equal(running(grandchild), false, 'the tool\'s child outlived kedge')
  })
  it('stops the tools and exits 130 when a command is interrupted with Ctrl-C (SIGINT)', async () => {
    const pidFile = path.join(mkdtempSync(path.join(tmpdir(), 'kedge-child-')), 'pid')
    const module = new URL('../../src/adapters/process/child-process.ts', import.meta.url).href
    // The tool leads its own group: the terminal's SIGINT would reach kedge alone.
    const script = `
      import {existsSync, readFileSync} from 'node:fs'
      import {runChild, stopOnSignals} from ${JSON.stringify(module)}
      stopOnSignals()
      void runChild({file: 'sh', args: ['-c', 'sleep 300 & echo $! > ${pidFile}; wait'], env: process.env, timeoutMs: 60_000, maxStdoutBytes: 1024})
      // Once the tool has started its own child, whatever the machine's load.
      const started = setInterval(() => { if (existsSync(${JSON.stringify(pidFile)}) && readFileSync(${JSON.stringify(pidFile)}, 'utf8').trim()) { clearInterval(started); process.kill(process.pid, 'SIGINT') } }, 20)
    `
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {encoding: 'utf8', timeout: 20_000})
    assert.equal(result.status, 130, result.stderr)
    const grandchild = Number(readFileSync(pidFile, 'utf8').trim())
    const deadline = Date.now() + 5000
    while (running(grandchild) && Date.now() < deadline) await new Promise((done) => setTimeout(done, 50))
    assert.equal(running(grandchild), false, 'the tool outlived the interrupted command')
  })
})

describe('bounded text', () => {
  it('keeps all of a short text', () => {
    const text = new BoundedText(8, 8)
    text.append(Buffer.from('hello '))
    text.append(Buffer.from('world'))
    assert.equal(text.text(), 'hello world')
  })

  it('keeps the head and the tail of a long one, and says how much it left out', () => {
    const text = new BoundedText(4, 4)
    for (const chunk of ['abc', 'defgh', 'ijklmn', 'opq']) text.append(Buffer.from(chunk))
    assert.equal(text.text(), 'abcd\n[9 bytes left out]\nnopq')
  })
})
