import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {interpolate, parseDotEnv} from '../../src/model/compose/dotenv.js'
import {InvalidInputError} from '../../src/model/errors.js'

// Every expected value below marked "(Compose)" was read from the real Compose 2.26.1 on this project's
// test machine: the `.env` written into a directory beside a compose file whose service sets
// `NAME: "[${NAME-<unset>}]"` for each name, then `docker compose --project-directory DIR -f
// DIR/compose.yaml config --format json` (with the environment shown, where one is), reading `$$` in its
// output as the one `$` it stands for. Refusals marked "(Compose)" are files Compose refused to read.
// The other cases follow from those rules and are marked "(rule)".

const env = (values: Record<string, string> = {}) => (name: string) => values[name]
const read = (text: string, values?: Record<string, string>) => parseDotEnv(text, env(values))
const refusal = (detail: RegExp) => (error: unknown) => error instanceof InvalidInputError && error.code === 'invalid_env_file' && detail.test(error.message)

describe('parseDotEnv, as Compose reads .env', () => {
  it('reads plain, quoted, exported, empty and commented values (Compose)', () => {
    const text = [
      'A=plain',
      'B="double quoted"',
      "C='single quoted'",
      'export D=exported',
      'E=',
      'F=value # comment',
      'G=value#nocomment',
      'H="quoted # not comment"',
      'L=  spaced  ',
      '# comment line',
      '',
      '   ',
      'R = spaced key',
      'T="a" # c',
      'Z: yaml style',
      'DD=" leading space"',
      "EE=val'ue",
      'II=#notcomment',
      'JJ=a #b #c',
    ].join('\n')
    assert.deepEqual(read(text), {
      A: 'plain',
      B: 'double quoted',
      C: 'single quoted',
      D: 'exported',
      E: '',
      F: 'value',
      G: 'value#nocomment',
      H: 'quoted # not comment',
      L: 'spaced',
      R: 'spaced key',
      T: 'a',
      Z: 'yaml style',
      DD: ' leading space',
      EE: "val'ue",
      II: '#notcomment',
      JJ: 'a',
    })
  })

  it('ends an unquoted value at a space and #, not a tab and # nor a # after the =, and keeps other text as written (Compose)', () => {
    assert.deepEqual(read('A= #c\nB=  # c\n\t# indented comment\nC=3\nX7=value\t# tab comment\nX8=a==b\nX6=x"y"\nX14=trail\\\nA9=x;y\nB9=a\\ b\nC9=a  #c\n'), {
      A: '#c',
      B: '# c',
      C: '3',
      X7: 'value\t# tab comment',
      X8: 'a==b',
      X6: 'x"y"',
      X14: 'trail\\',
      A9: 'x;y',
      B9: 'a\\ b',
      C9: 'a',
    })
  })

  it('takes escapes in double quotes only, as compose-go does (Compose)', () => {
    const text = [
      'I="line1\\nline2"',
      "J='no \\n escape'",
      'K="escaped \\"quote\\""',
      'U=a\\tb',
      'V="a\\tb"',
      'W="a\\\\b"',
      'X1="a\\$b"',
      "X4='it\\'s'",
      'X13="a\\rb\\\\nc\\"d\\\'e\\xf"',
      "X15='a\"b'",
      'F4="a\\0b\\ac\\vd\\u0041"',
      'B6=\\"x\\"',
      'C6="$$"',
    ].join('\n')
    assert.deepEqual(read(text), {
      I: 'line1\nline2',
      J: 'no \\n escape',
      K: 'escaped "quote"',
      U: 'a\\tb',
      V: 'a\tb',
      W: 'a\\b',
      X1: 'a$b',
      X4: "it's",
      X13: 'a\rb\\nc"d\\\'e\\xf',
      X15: 'a"b',
      F4: 'a\\b\x07c\x0bd\\u0041',
      B6: '\\"x\\"',
      C6: '$',
    })
  })

  it('reads quoted values over several lines, and what follows the closing quote as another statement (Compose)', () => {
    assert.deepEqual(read('M="multi\nline value"\nN=after\n'), {M: 'multi\nline value', N: 'after'})
    assert.deepEqual(read("A='multi\nline'\nB=\"x\"#c\n"), {A: 'multi\nline', B: 'x'})
    assert.deepEqual(read('A="x" junk\nK=1\n'), {A: 'x', K: '1'})
    assert.deepEqual(read('A="x" junk\nK=1\n', {junk: 'j'}), {A: 'x', junk: 'j', K: '1'}, 'the name after the quote is a name alone on its line')
    assert.deepEqual(read("A='${X}' # c\nB='a' b\n"), {A: '${X}', B: 'a'})
  })

  it('interpolates unquoted and double-quoted values, not single-quoted ones (Compose)', () => {
    const text = 'A=plain\nN=${A}_x\nO=\'${A}\'\nP="${A}"\nQ=${UNSET:-def}\nY=$$literal\nD6=${A}${N}\nexport B2=${A}\nC2="${A} ${B2}"\n'
    assert.deepEqual(read(text), {A: 'plain', N: 'plain_x', O: '${A}', P: 'plain', Q: 'def', Y: '$literal', D6: 'plainplain_x', B2: 'plain', C2: 'plain plain'})
  })

  it("lets the environment win over the file's own earlier values when it interpolates, and sees only names set above (Compose)", () => {
    const text = 'X2=$A\nA=fromfile\nX3=${A}\nX16=${A}${A}\nX17=pre$A-post\nX18=${A:-${UNSET2:-deep}}\nX19=${UNSET3:-${A}}\n'
    assert.deepEqual(read(text, {A: 'fromenv'}), {
      X2: 'fromenv',
      A: 'fromfile',
      X3: 'fromenv',
      X16: 'fromenvfromenv',
      X17: 'prefromenv-post',
      X18: 'fromenv',
      X19: 'fromenv',
    })
    assert.deepEqual(read(text), {X2: '', A: 'fromfile', X3: 'fromfile', X16: 'fromfilefromfile', X17: 'prefromfile-post', X18: 'fromfile', X19: 'fromfile'})
  })

  it('reads the operators of ${...} as Compose does: with a colon, an empty value counts as unset (Compose)', () => {
    const text = 'A=x\nEMPTY=\nX9=${A:+alt}\nX10=${UNSET-dash}\nX11=${EMPTY:-colon}\nX12=${EMPTY-nocolon}\nE=${U:-}\nF=${U-}\nE7=${EMPTY?only unset}\nG3=${B:-x}y}\n'
    assert.deepEqual(read(text), {A: 'x', EMPTY: '', X9: 'alt', X10: 'dash', X11: 'colon', X12: '', E: '', F: '', E7: '', G3: 'xy}'})
  })

  it('keeps a $ that starts no variable (Compose)', () => {
    assert.deepEqual(read('A=cost$\nC=$1x\nD=$-\nG=$ x\n'), {A: 'cost$', C: '$1x', D: '$-', G: '$ x'})
  })

  it('reads a name alone on its line from the environment, or leaves it out (Compose)', () => {
    assert.deepEqual(read('INHERIT\nexport INH2\nNOTSET\nK=1\n', {INHERIT: 'fromenv', INH2: 'two'}), {INHERIT: 'fromenv', INH2: 'two', K: '1'})
  })

  it('takes `export` as a prefix only before a blank, and a name of letters, digits, _ . - [ ] (Compose)', () => {
    assert.deepEqual(read('exportFOO=1\nEXPORTED=2\nexport  SP=3\nexport\tTB=4\n'), {exportFOO: '1', EXPORTED: '2', SP: '3', TB: '4'})
    assert.deepEqual(read('1A=x\nK=1\n'), {'1A': 'x', K: '1'})
    assert.deepEqual(read('FF.G-1[0]=1\n'), {'FF.G-1[0]': '1'}, '(rule) Compose accepted it; its value cannot be read back through ${...}')
  })

  it('keeps the last of two values, and reads CRLF lines and a byte order mark (Compose)', () => {
    assert.deepEqual(read('A=1\nA=2\n'), {A: '2'})
    assert.deepEqual(read('A=crlf\r\nB="q"\r\nC=x # c\r\n'), {A: 'crlf', B: 'q', C: 'x'})
    assert.deepEqual(read('\uFEFFA=bom\nB=2\n'), {A: 'bom', B: '2'})
  })

  it('refuses what Compose refuses, by the line and never by its value (Compose)', () => {
    assert.throws(() => read('A="unterminated\nB=2\n'), refusal(/^\.env: line 1: the " that opens the value is not closed$/))
    assert.throws(() => read('K=1\nE=${UNSET:?must be set}\n'), refusal(/^\.env: line 2: required variable UNSET is missing a value: must be set$/))
    assert.throws(() => read('B=${NOPE:?}\n'), refusal(/required variable NOPE is missing a value$/))
    assert.throws(() => read('A=${U?}\n'), refusal(/required variable U is missing a value$/))
    assert.throws(() => read('A=\nB=${A:?set but empty}\n'), refusal(/line 2: required variable A is missing a value: set but empty/))
    assert.throws(() => read('A B=1\n'), refusal(/line 1: a variable name cannot hold a blank/))
    assert.throws(() => read('=x\nK=1\n'), refusal(/line 1: a variable name is missing/))
    assert.throws(() => read('A=1\nBARE'), refusal(/line 2: a variable name without "=" or a newline after it ends the file/))
    assert.throws(() => read('B=${\nK=1\n'), refusal(/line 1: invalid template "\$\{"/))
    assert.throws(() => read('A=${1}\n'), refusal(/invalid template "\$\{1\}"/))
    assert.throws(() => read('A=${A B}\n'), refusal(/invalid template "\$\{A B\}"/))
    assert.throws(() => read('K=1\nA*B=1\n'), refusal(/line 2: unexpected character "\*" in a variable name/))
  })

  it('names its source in a refusal, and never the value', () => {
    assert.throws(
      () => parseDotEnv('TOKEN="s3cret\n', env(), 'stacks/api/.env'),
      (error: unknown) => error instanceof InvalidInputError && error.message.startsWith('stacks/api/.env: line 1:') && !error.message.includes('s3cret'),
    )
  })
})

describe('interpolate (rule)', () => {
  it('reads a nested default only when it is needed', () => {
    assert.equal(interpolate('${A:-${B:?never read}}', env({A: 'a'})), 'a')
    assert.throws(() => interpolate('${A:-${B:?needed}}', env()), /required variable B is missing a value: needed/)
  })

  it('reads $NAME up to the first character that cannot be in a name', () => {
    assert.equal(interpolate('$A.$B_c/$C', env({A: '1', B_c: '2', C: '3'})), '1.2/3')
  })
})
