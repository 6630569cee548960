import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {boundedLine, crashLine, RELAYED_OUTPUT_LIMIT} from '../../src/model/tool-output.js'

/** The start of what Compose v2 (2.26.1) printed reading a compose file that is a symbolic link to /dev/zero. */
const OUT_OF_MEMORY = `runtime: out of memory: cannot allocate 67108864-byte block (142082048 in use)
fatal error: out of memory

goroutine 1 gp=0xc000002380 m=4 mp=0xc00007f808 [running]:
runtime.throw({0x27d10b7?, 0x1e13?})
	runtime/panic.go:1101 +0x48 fp=0xc000574a60 sp=0xc000574a30 pc=0x478548
runtime.(*mcache).allocLarge(0xc000574ac8?, 0x3c26000, 0x1)
	runtime/mcache.go:237 +0x17c fp=0xc000574ab0 sp=0xc000574a60 pc=0x41eb3c
os.ReadFile({0xc0002172c0?, 0x9?})
	os/file.go:805 +0xa9 fp=0xc000574ca8 sp=0xc000574c30 pc=0x4cfe69

goroutine 2 gp=0xc000002e00 m=nil [force gc (idle)]:
runtime.gopark(0x0?, 0x0?, 0x0?, 0x0?, 0x0?)
	runtime/proc.go:435 +0xce fp=0xc00006cfa8 sp=0xc00006cf88 pc=0x4786ce`

const PANIC = `panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x1234]

goroutine 1 [running]:
github.com/docker/compose/v2/pkg/compose.(*composeService).Up(...)
	/go/src/github.com/docker/compose/pkg/compose/up.go:42 +0x1d`

const lines = (text: string) => text.split('\n').map((line) => line.trim()).filter(Boolean)

describe('tool crash output', () => {
  it('keeps the line that says a Go program ran out of memory, not its goroutine dump', () => {
    assert.equal(crashLine(lines(OUT_OF_MEMORY)), 'runtime: out of memory: cannot allocate 67108864-byte block (142082048 in use)')
  })

  it('keeps the first line of a panic', () => {
    assert.equal(crashLine(lines(PANIC)), 'panic: runtime error: invalid memory address or nil pointer dereference')
  })

  it('takes no ordinary refusal for a crash, even one that says "panic:"', () => {
    assert.equal(crashLine(lines('service "web" refers to undefined network front: invalid compose project')), null)
    assert.equal(crashLine(lines('panic: not really\nplease check your file')), null)
  })

  it('bounds any relayed output to one line of limited length', () => {
    assert.equal(boundedLine('a\n  b\r\nc'), 'a b c')
    const long = boundedLine('x'.repeat(100_000))
    assert.equal(long.length, RELAYED_OUTPUT_LIMIT)
    assert.ok(long.endsWith('…'))
    assert.equal(boundedLine('short'), 'short')
  })
})
