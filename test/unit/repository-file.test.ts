import assert from 'node:assert/strict'
import {mkdirSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'

import {COMPOSE_FILE_MAX_TOKENS, KEDGE_CONFIG_MAX_TOKENS, parseBoundedYaml, YamlTooComplexError} from '../../src/model/config/bounded-yaml.js'
import {resolveComposeFiles} from '../../src/adapters/files/compose-files.js'
import {parseKedgeConfig} from '../../src/model/config/kedge-config.js'
import {loadKedgeConfig} from '../../src/adapters/files/kedge-config-file.js'
import {readRepositoryText, repositoryDirectory} from '../../src/adapters/files/repository-file.js'
import {isInGitDirectory, KEDGE_CONFIG_MAX_BYTES} from '../../src/model/config/repository-limits.js'
import {InvalidConfigError, InvalidInputError, quoted} from '../../src/model/errors.js'
import {tempDir} from '../helpers/temp.js'

const SECRET = 'host-secret-7f3a'

/** A repository directory beside a host file holding SECRET, which no read may return or echo. */
function repositoryBesideHostFile(): {root: string; hostFile: string} {
  const base = tempDir('kedge-repo-file-')
  const root = path.join(base, 'repo')
  mkdirSync(path.join(root, '.git'), {recursive: true})
  const hostFile = path.join(base, 'host.txt')
  writeFileSync(hostFile, `interval: ${SECRET}\n`)
  writeFileSync(path.join(root, '.git', 'config'), '[core]\n')
  return {root, hostFile}
}

function refusal(read: () => unknown, pattern: RegExp): void {
  assert.throws(read, (error: Error) => {
    assert.ok(error instanceof InvalidInputError, String(error))
    assert.match(error.message, pattern)
    assert.doesNotMatch(error.message, new RegExp(SECRET))
    assert.doesNotMatch(error.message, /\n/)
    return true
  })
}

describe('readRepositoryText', () => {
  it('reads a regular file, and a link to one inside the repository; null for a missing one', () => {
    const {root} = repositoryBesideHostFile()
    mkdirSync(path.join(root, 'stacks'))
    writeFileSync(path.join(root, 'stacks', 'compose.yaml'), 'services: {}\n')
    symlinkSync('stacks/compose.yaml', path.join(root, 'linked.yaml'))
    symlinkSync('../stacks', path.join(root, 'stacks', 'loop-back'))
    assert.equal(readRepositoryText(root, 'stacks/compose.yaml', 1024), 'services: {}\n')
    assert.equal(readRepositoryText(root, 'linked.yaml', 1024), 'services: {}\n')
    assert.equal(readRepositoryText(root, 'stacks/loop-back/compose.yaml', 1024), 'services: {}\n')
    assert.equal(readRepositoryText(root, 'nope.yaml', 1024), null)
    assert.equal(readRepositoryText(root, 'stacks/compose.yaml/x', 1024), null)
  })

  it('refuses a link to a host file, absolute or relative, without reading or echoing it', () => {
    const {root, hostFile} = repositoryBesideHostFile()
    symlinkSync(hostFile, path.join(root, 'absolute.yaml'))
    symlinkSync('../host.txt', path.join(root, 'relative.yaml'))
    mkdirSync(path.join(root, 'sub'))
    symlinkSync('..', path.join(root, 'sub', 'up'))
    refusal(() => readRepositoryText(root, 'absolute.yaml', 1024), /^absolute\.yaml: leads outside the repository$/)
    refusal(() => readRepositoryText(root, hostFile, 1024, 'named absolute'), /^named absolute: leads outside the repository$/)
    refusal(() => readRepositoryText(root, 'relative.yaml', 1024), /^relative\.yaml: leads outside the repository$/)
    refusal(() => readRepositoryText(root, 'sub/up/../host.txt', 1024), /leads outside the repository$/)
    refusal(() => readRepositoryText(root, '../host.txt', 1024), /leads outside the repository$/)
  })

  it('refuses a link to a device at once, a directory, .git, a link loop, and a file over the limit', () => {
    const {root} = repositoryBesideHostFile()
    symlinkSync('/dev/zero', path.join(root, 'zero.yaml'))
    mkdirSync(path.join(root, 'dir.yaml'))
    symlinkSync('b', path.join(root, 'a'))
    symlinkSync('a', path.join(root, 'b'))
    symlinkSync('.git/config', path.join(root, 'git-link'))
    writeFileSync(path.join(root, 'large.yaml'), 'x'.repeat(1025))
    writeFileSync(path.join(root, 'exact.yaml'), 'x'.repeat(1024))
    refusal(() => readRepositoryText(root, 'zero.yaml', 1024), /^zero\.yaml: leads outside the repository$/)
    refusal(() => readRepositoryText(root, 'dir.yaml', 1024), /^dir\.yaml: is not a regular file$/)
    refusal(() => readRepositoryText(root, 'a', 1024), /^a: has too many levels of symbolic links$/)
    refusal(() => readRepositoryText(root, '.git/config', 1024), /^\.git\/config: is inside \.git/)
    refusal(() => readRepositoryText(root, 'git-link', 1024), /^git-link: is inside \.git/)
    refusal(() => readRepositoryText(root, 'large.yaml', 1024), /^large\.yaml: is larger than 1 KiB, the most kedge reads$/)
    assert.equal(readRepositoryText(root, 'exact.yaml', 1024)!.length, 1024)
  })

  it('a --path directory must lead to a directory inside the repository', () => {
    const {root} = repositoryBesideHostFile()
    mkdirSync(path.join(root, 'stacks', 'web'), {recursive: true})
    symlinkSync('stacks/web', path.join(root, 'web'))
    symlinkSync('/etc', path.join(root, 'etc'))
    const missing = () => new InvalidInputError('missing', {code: 'invalid_path'})
    assert.equal(repositoryDirectory(root, 'web', missing), path.join(root, 'stacks', 'web'))
    assert.equal(repositoryDirectory(root, '.', missing), root)
    refusal(() => repositoryDirectory(root, 'etc', missing), /^path "etc" leads outside the repository$/)
    refusal(() => repositoryDirectory(root, '.git', missing), /^path "\.git" is inside \.git/)
    refusal(() => repositoryDirectory(root, 'nope', missing), /^missing$/)
    assert.equal(isInGitDirectory('.git'), true)
    assert.equal(isInGitDirectory('sub/.git/config'), true)
    assert.equal(isInGitDirectory('.github/workflows'), false)
  })
})

describe('kedge.yaml and compose files are read through it', () => {
  it('kedge.yaml linked to /dev/zero or a host file is refused, naming the file, not the content', () => {
    const {root, hostFile} = repositoryBesideHostFile()
    mkdirSync(path.join(root, 'zero'))
    symlinkSync('/dev/zero', path.join(root, 'zero', 'kedge.yaml'))
    mkdirSync(path.join(root, 'host'))
    symlinkSync(hostFile, path.join(root, 'host', 'kedge.yml'))
    refusal(() => loadKedgeConfig(root, path.join(root, 'zero')), /^zero\/kedge\.yaml: leads outside the repository$/)
    refusal(() => loadKedgeConfig(root, path.join(root, 'host')), /^host\/kedge\.yml: leads outside the repository$/)
  })

  it('kedge.yaml over 256 KiB is refused without being parsed', () => {
    const {root} = repositoryBesideHostFile()
    writeFileSync(path.join(root, 'kedge.yaml'), `# ${'x'.repeat(KEDGE_CONFIG_MAX_BYTES)}\n`)
    refusal(() => loadKedgeConfig(root, root), /^kedge\.yaml: is larger than 256 KiB, the most kedge reads$/)
  })

  it('a compose file named or found that leads outside the repository, or into .git, is refused', () => {
    const {root, hostFile} = repositoryBesideHostFile()
    symlinkSync(hostFile, path.join(root, 'docker-compose.yaml'))
    symlinkSync(hostFile, path.join(root, 'extra.yaml'))
    refusal(() => resolveComposeFiles(root, root, parseKedgeConfig('', 'kedge.yaml')), /^docker-compose\.yaml: leads outside the repository$/)
    refusal(
      () => resolveComposeFiles(root, root, parseKedgeConfig('docker:\n  compose_file: extra.yaml\n', 'kedge.yaml')),
      /^kedge\.yaml: docker\.compose_file: "extra\.yaml" leads outside the repository$/,
    )
    refusal(
      () => resolveComposeFiles(root, root, parseKedgeConfig('docker:\n  compose_file: .git/config\n', 'kedge.yaml')),
      /^kedge\.yaml: docker\.compose_file: "\.git\/config" is inside \.git, which kedge does not read$/,
    )
  })
})

describe('parseBoundedYaml', () => {
  /** `count` keys of one mapping, one a line. */
  const keys = (count: number) => Array.from({length: count}, (_, n) => `k${n}: 1\n`).join('')

  it('parses in linear time: 16,000 keys take about as long per key as 2,000', () => {
    // The fastest of a few runs, so that a busy machine or a garbage collection does not decide.
    const perKey = (count: number, runs: number) => {
      const text = keys(count)
      let fastest = Infinity
      for (let run = 0; run < runs; run++) {
        const started = process.cpuUsage()
        parseBoundedYaml(text, {maxTokens: Infinity})
        const used = process.cpuUsage(started)
        fastest = Math.min(fastest, (used.user + used.system) / count)
      }
      return fastest
    }
    perKey(2000, 3)
    // The parser's own duplicate check makes 16,000 keys cost several times as much per key as 2,000; linear, about the same.
    const [small, large] = [perKey(2000, 4), perKey(16_000, 2)]
    assert.ok(large < small * 2.5, `the parse is not linear in the number of keys: ${small.toFixed(1)} µs a key for 2,000, ${large.toFixed(1)} for 16,000`)
  })

  it('refuses more tokens than the bound before parsing, within a few milliseconds', () => {
    const text = keys(60_000)
    const started = performance.now()
    assert.throws(() => parseBoundedYaml(text, {maxTokens: KEDGE_CONFIG_MAX_TOKENS}), YamlTooComplexError)
    assert.ok(performance.now() - started < 500)
    assert.throws(() => parseBoundedYaml(keys(COMPOSE_FILE_MAX_TOKENS), {maxTokens: COMPOSE_FILE_MAX_TOKENS}), YamlTooComplexError)
  })

  it('keeps the error for a duplicate key, in a block or a flow mapping, at the first one', () => {
    for (const [text, line, col] of [['docker: {}\ndocker: {}\n', 2, 1], ['a: 1\nb: {x: 1, y: 2, x: 3}\nb: 4\n', 2, 17]] as const) {
      assert.throws(() => parseBoundedYaml(text, {maxTokens: 100}), (error: Error & {linePos?: Array<{line: number; col: number}>}) => {
        assert.equal(error.message.split(' at line')[0], 'Map keys must be unique')
        assert.deepEqual(error.linePos?.[0], {line, col})
        return true
      })
    }
    assert.deepEqual(parseBoundedYaml('a: 1\n"1": x\n1: y\n', {maxTokens: 100}), {a: 1, 1: 'y'})
    assert.deepEqual(parseBoundedYaml('a: 1\na: 2\n', {maxTokens: 100, lenient: true}), {a: 2})
  })

  it('a kedge.yaml over the token bound is refused in one line; an invalid one is remembered by its content', () => {
    assert.throws(() => parseKedgeConfig(keys(5000), 'kedge.yaml'), /^InvalidConfigError: kedge\.yaml: too large to parse: more than 20000 YAML tokens$/)
    const invalid = `${keys(2000)}k0: again\n`
    const first = captured(() => parseKedgeConfig(invalid, 'kedge.yaml'))
    assert.equal(captured(() => parseKedgeConfig(invalid, 'kedge.yaml')), first, 'parsed again')
  })
})

describe('echoes are bounded', () => {
  it('quoted cuts a value to 80 characters, and an unknown key of a megabyte is not echoed whole', () => {
    assert.equal(quoted('a'.repeat(200)), `"${'a'.repeat(80)}…"`)
    assert.throws(() => parseKedgeConfig(`${'k'.repeat(1024 * 1024)}: 1\n`, 'kedge.yaml'), (error: Error) => {
      assert.ok(error instanceof InvalidConfigError)
      assert.ok(error.message.length < 400, `${error.message.length} characters`)
      return true
    })
  })
})

function captured(run: () => unknown): unknown {
  try {
    run()
  } catch (error) {
    return error
  }
  assert.fail('did not throw')
}
