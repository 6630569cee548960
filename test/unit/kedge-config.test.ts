import assert from 'node:assert/strict'
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'

import {resolveComposeFiles} from '../../src/adapters/files/compose-files.js'
import {parseKedgeConfig} from '../../src/model/config/kedge-config.js'
import {parseStackConfig, withStackOverrides} from '../../src/model/config/stack-config.js'
import {loadKedgeConfig, readStackConfig} from '../../src/adapters/files/kedge-config-file.js'
import {InvalidConfigError, InvalidInputError} from '../../src/model/errors.js'
import {tempDir} from '../helpers/temp.js'

describe('parseKedgeConfig', () => {
  it('gives the defaults for an empty file', () => {
    assert.deepEqual(parseKedgeConfig('', 'kedge.yaml'), {
      file: 'kedge.yaml',
      projectName: undefined,
      composeFiles: undefined,
      profiles: [],
      target: 'compose',
      mode: 'auto',
      intervalMs: undefined,
      prune: true,
      maxHeals: 5,
      healWindowMs: 300_000,
      healthTimeoutMs: 60_000,
      rollbackOnFailure: true,
      keepReleases: 10,
      logging: {level: undefined, format: undefined},
      stacks: undefined,
      secrets: [],
      imageUpdates: false,
      imageUpdateIntervalMs: 6 * 3_600_000,
    })
  })

  it('reads SOPS files relative to kedge.yaml, their format by extension or as named', () => {
    const config = parseKedgeConfig(
      'secrets:\n  - file: secrets/app.sops.env\n    services: [web, web]\n  - file: db.enc\n    format: yaml\n    services: [db]\n  - file: tls.key.enc\n    format: binary\n    target: /run/secrets//tls.key\n    mode: "0400"\n  - file: app.yaml\n    target: /etc/app.yaml\n',
      'deploy/kedge.yaml',
    )
    assert.deepEqual(config.secrets, [
      {file: 'deploy/secrets/app.sops.env', format: 'dotenv', services: ['web']},
      {file: 'deploy/db.enc', format: 'yaml', services: ['db']},
      {file: 'deploy/tls.key.enc', format: 'binary', target: '/run/secrets/tls.key', mode: 0o400},
      {file: 'deploy/app.yaml', format: 'yaml', target: '/etc/app.yaml', mode: 0o444},
    ])
  })

  const refusedSecrets: Array<[string, string, string]> = [
    ['a path out of the repository', 'secrets:\n  - file: ../x.env\n', 'kedge.yaml: secrets.0.file: expected a path relative to kedge.yaml, inside the repository, without ".."'],
    ['a file whose format is not said', 'secrets:\n  - file: x.enc\n', 'kedge.yaml: secrets.0.format: x.enc: set format (one of dotenv, yaml, json, binary): its extension does not say'],
    ['a field it does not know', 'secrets:\n  - file: x.env\n    path: /run/x\n', 'kedge.yaml: secrets.0.path: unknown field (expected file, format, services, target, mode)'],
    ['a relative target', 'secrets:\n  - file: x.env\n    target: run/x\n', 'kedge.yaml: secrets.0.target: expected an absolute path of a file inside the containers, without ".."'],
    ['a binary file as environment', 'secrets:\n  - file: cert.bin\n    format: binary\n', 'kedge.yaml: secrets.0.target: a binary file is not environment: give it a target, the path of a file inside the containers'],
    ['a mode without a target', 'secrets:\n  - file: x.env\n    mode: "0400"\n', 'kedge.yaml: secrets.0.mode: mode is the mode of a file inside the containers: it goes with target'],
  ]
  it('reads image updates and their interval', () => {
    const config = parseKedgeConfig('reconciliation:\n  image_updates: true\n  image_update_interval: 30m\n', 'kedge.yaml')
    assert.equal(config.imageUpdates, true)
    assert.equal(config.imageUpdateIntervalMs, 30 * 60_000)
    assert.throws(() => parseKedgeConfig('reconciliation:\n  image_update_interval: 10s\n', 'kedge.yaml'), /reconciliation\.image_update_interval: expected at least 1m/)
  })

  for (const [what, text, message] of refusedSecrets) {
    it(`refuses ${what}`, () => {
      assert.throws(() => parseKedgeConfig(text, 'kedge.yaml'), (error: unknown) => error instanceof InvalidConfigError && error.message === message)
    })
  }


  it('reads every field', () => {
    const config = parseKedgeConfig(
      `docker:
  project_name: myapp
  compose_file: [base.yaml, prod.yaml]
  profiles: [seed, debug.tools]
reconciliation:
  mode: notify
  interval: 5m
logging:
  level: debug
  format: json
`,
      'kedge.yaml',
    )
    assert.equal(config.projectName, 'myapp')
    assert.deepEqual(config.composeFiles, ['base.yaml', 'prod.yaml'])
    assert.deepEqual(config.profiles, ['seed', 'debug.tools'])
    assert.equal(config.mode, 'notify')
    assert.equal(config.intervalMs, 300_000)
    assert.deepEqual(config.logging, {level: 'debug', format: 'json'})
  })

  it('takes a single compose file and an interval in seconds', () => {
    const config = parseKedgeConfig('docker:\n  compose_file: docker-compose.yaml\nreconciliation:\n  interval: 90\n', 'kedge.yaml')
    assert.deepEqual(config.composeFiles, ['docker-compose.yaml'])
    assert.equal(config.intervalMs, 90_000)
  })

  it('accepts a Go kedge file unchanged, global sections included', () => {
    const config = parseKedgeConfig(
      `git:
  url: https://github.com/acme/app.git
  branch: main
  poll_interval: 60s
docker:
  project_name: myapp
  compose_file: docker-compose.yaml
reconciliation:
  mode: auto
  interval: 1m
state:
  path: .kedge/state.db
logging:
  level: info
  format: text
server:
  port: 8080
telemetry:
  metrics:
    enabled: true
`,
      'kedge.yaml',
    )
    assert.equal(config.projectName, 'myapp')
    assert.equal(config.intervalMs, 60_000)
  })

  const invalid: Array<[string, string, RegExp]> = [
    ['a YAML syntax error', 'docker:\n  project_name: [unclosed\n', /^kedge\.yaml: invalid YAML: line \d+, column \d+/],
    ['duplicate keys', 'docker: {}\ndocker: {}\n', /^kedge\.yaml: invalid YAML/],
    ['an unknown mode', 'reconciliation:\n  mode: sometimes\n', /^kedge\.yaml: reconciliation\.mode: expected one of auto, notify, manual/],
    ['a bad duration', 'reconciliation:\n  interval: soon\n', /^kedge\.yaml: reconciliation\.interval: expected a duration .*got "soon"/],
    ['a zero interval', 'reconciliation:\n  interval: 0\n', /^kedge\.yaml: reconciliation\.interval: expected a duration/],
    ['a number for compose_file', 'docker:\n  compose_file: 5\n', /^kedge\.yaml: docker\.compose_file: expected a file path or a list of file paths/],
    ['an empty compose_file list', 'docker:\n  compose_file: []\n', /^kedge\.yaml: docker\.compose_file/],
    ['an upper-case project name', 'docker:\n  project_name: MyApp\n', /^kedge\.yaml: docker\.project_name: expected lower-case/],
    ['a list for a section', 'docker:\n  - a\n', /^kedge\.yaml: docker: expected a mapping/],
    ['a scalar document', 'just text\n', /^kedge\.yaml: expected a mapping at the top level/],
    ['an unknown top-level field', 'reconcilation:\n  mode: auto\n', /^kedge\.yaml: reconcilation: unknown field \(expected docker, reconciliation, logging/],
    ['an unknown nested field', 'docker:\n  projectname: x\n', /^kedge\.yaml: docker\.projectname: unknown field \(expected project_name, compose_file, profiles, target\)/],
    ['a single profile given as a string', 'docker:\n  profiles: seed\n', /^kedge\.yaml: docker\.profiles: expected a list of profile names/],
    ['a profile name with a space', 'docker:\n  profiles: ["my seed"]\n', /^kedge\.yaml: docker\.profiles\.0: expected profile names of letters/],
    ['a profile name that is a number', 'docker:\n  profiles: [5]\n', /^kedge\.yaml: docker\.profiles\.0: expected a profile name/],
    ['a fraction for max_heals', 'reconciliation:\n  max_heals: 2.5\n', /^kedge\.yaml: reconciliation\.max_heals: expected a whole number/],
    ['a bad heal_window', 'reconciliation:\n  heal_window: forever\n', /^kedge\.yaml: reconciliation\.heal_window: expected a duration/],
    ['a zero keep_releases', 'reconciliation:\n  keep_releases: 0\n', /^kedge\.yaml: reconciliation\.keep_releases: expected 1 or more/],
    ['a string for rollback_on_failure', 'reconciliation:\n  rollback_on_failure: no way\n', /^kedge\.yaml: reconciliation\.rollback_on_failure: expected true or false/],
    ['a bad health_timeout', 'reconciliation:\n  health_timeout: 1 minute\n', /^kedge\.yaml: reconciliation\.health_timeout: expected a duration/],
    ['a string for prune', 'reconciliation:\n  prune: "yes"\n', /^kedge\.yaml: reconciliation\.prune: expected true or false/],
    ['an unknown log level', 'logging:\n  level: loud\n', /^kedge\.yaml: logging\.level: expected one of debug, info, warn, error/],
    ['an empty list of stacks', 'stacks: []\n', /^kedge\.yaml: stacks: expected at least one stack$/],
    ['a single stack not in a list', 'stacks: apps/web\n', /^kedge\.yaml: stacks: expected a list of directories$/],
    ['a number for a stack', 'stacks: [5]\n', /^kedge\.yaml: stacks\.0: expected a directory path, or a mapping of path, name and after$/],
    ['a stack without a path', 'stacks:\n  - name: web\n', /^kedge\.yaml: stacks\.0\.path: expected a directory path$/],
    ['an unknown field of a stack', 'stacks:\n  - {path: web, after_: db}\n', /^kedge\.yaml: stacks\.0\.after_: unknown field \(expected path, name, after\)$/],
    ['a stack name with a space', 'stacks:\n  - {path: web, name: my web}\n', /^kedge\.yaml: stacks\.0\.name: expected letters, digits, "_", "\." and "-", starting with a letter or digit, at most 64 characters$/],
    ['a stack name of 65 characters', `stacks:\n  - {path: web, name: ${'w'.repeat(65)}}\n`, /^kedge\.yaml: stacks\.0\.name: expected letters/],
    ['a number for after', 'stacks:\n  - {path: web, after: 5}\n', /^kedge\.yaml: stacks\.0\.after: expected a stack name or a list of stack names$/],
    ['a bad name in after', 'stacks:\n  - {path: web, after: [db, -x]}\n', /^kedge\.yaml: stacks\.0\.after\.1: expected letters/],
    ['more than 256 stacks', `stacks:\n${Array.from({length: 257}, (_, index) => `  - s${index}\n`).join('')}`, /^kedge\.yaml: stacks: expected at most 256 stacks$/],
  ]
  for (const [what, text, message] of invalid) {
    it(`refuses ${what} with the file, the field and what was expected`, () => {
      assert.throws(
        () => parseKedgeConfig(text, 'kedge.yaml'),
        (error: unknown) => error instanceof InvalidConfigError && message.test(error.message) && !error.message.includes('\n'),
      )
    })
  }
})

describe('stacks: in kedge.yaml', () => {
  it('reads paths and mappings, after as a name or a list', () => {
    const config = parseKedgeConfig('stacks:\n  - apps/*\n  - {path: infra/db, name: db}\n  - {path: web, after: db}\n  - {path: api, after: [db, db, web]}\n', 'kedge.yaml')
    assert.deepEqual(config.stacks, [
      {path: 'apps/*', after: []},
      {path: 'infra/db', name: 'db', after: []},
      {path: 'web', after: ['db']},
      {path: 'api', after: ['db', 'web']},
    ])
    assert.ok(Object.isFrozen(config.stacks![3]!.after))
  })
})

describe('parseStackConfig and withStackOverrides', () => {
  const repository = parseKedgeConfig(
    'docker:\n  profiles: [seed]\nreconciliation:\n  mode: notify\n  interval: 5m\n  health_timeout: 2m\n  keep_releases: 3\nlogging:\n  level: debug\nstacks: ["apps/*"]\n',
    'kedge.yaml',
  )

  it('gives only what the file sets', () => {
    assert.deepEqual(parseStackConfig('', 'apps/web/kedge.yaml'), {})
    assert.deepEqual(
      parseStackConfig('docker:\n  project_name: web\n  compose_file: prod.yaml\nreconciliation:\n  prune: false\n  health_timeout: 30s\n  rollback_on_failure: false\n', 'apps/web/kedge.yaml'),
      {projectName: 'web', composeFiles: ['prod.yaml'], prune: false, healthTimeoutMs: 30_000, rollbackOnFailure: false},
    )
  })

  it("lays a stack's settings over the repository's, the project and compose files from the stack's file only", () => {
    const config = withStackOverrides(repository, parseStackConfig('reconciliation:\n  mode: auto\n  prune: false\n', 'apps/web/kedge.yaml'), 'apps/web/kedge.yaml')
    assert.deepEqual(config, {
      file: 'apps/web/kedge.yaml',
      composeFiles: undefined,
      profiles: ['seed'],
      target: 'compose',
      mode: 'auto',
      intervalMs: 300_000,
      prune: false,
      maxHeals: 5,
      healWindowMs: 300_000,
      healthTimeoutMs: 120_000,
      rollbackOnFailure: true,
      keepReleases: 3,
      logging: {level: 'debug', format: undefined},
      secrets: [],
      imageUpdates: false,
      imageUpdateIntervalMs: 6 * 3_600_000,
    })
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.profiles))
    const named = withStackOverrides(parseKedgeConfig('docker:\n  project_name: shop\n  compose_file: a.yaml\n', 'kedge.yaml'), parseStackConfig('docker:\n  profiles: []\n', 'web/kedge.yaml'), 'web/kedge.yaml')
    assert.equal(named.projectName, undefined)
    assert.equal(named.composeFiles, undefined)
    assert.deepEqual(named.profiles, [])
  })

  it("keeps the repository's settings for a stack without a file of its own", () => {
    const config = withStackOverrides(repository, null, null)
    assert.equal(config.file, null)
    assert.equal(config.mode, 'notify')
    assert.equal(config.healthTimeoutMs, 120_000)
  })

  const refused: Array<[string, string, string]> = [
    ['stacks', 'stacks: [x]\n', 'apps/web/kedge.yaml: stacks: is set in the repository\'s kedge.yaml, not in a stack\'s: a stack does not hold stacks'],
    ['logging', 'logging:\n  level: debug\n', 'apps/web/kedge.yaml: logging: is set in the repository\'s kedge.yaml, not in a stack\'s: kedge logs a repository at one level and format'],
    ['reconciliation.interval', 'reconciliation:\n  mode: auto\n  interval: 1m\n', 'apps/web/kedge.yaml: reconciliation.interval: is set in the repository\'s kedge.yaml, not in a stack\'s: the repository is polled once for all its stacks'],
    ['a compatibility section', 'server:\n  port: 8080\n', 'apps/web/kedge.yaml: server: is set in the repository\'s kedge.yaml, not in a stack\'s: the Go kedge reads it from the repository only'],
    ['an unknown field', 'reconciliation:\n  intervall: 1m\n', 'apps/web/kedge.yaml: reconciliation.intervall: unknown field (expected mode, prune, max_heals, heal_window, health_timeout, rollback_on_failure, keep_releases, image_updates, image_update_interval)'],
    ['an invalid value', 'reconciliation:\n  mode: sometimes\n', 'apps/web/kedge.yaml: reconciliation.mode: expected one of auto, notify, manual'],
    ['invalid YAML', 'docker: [\n', 'apps/web/kedge.yaml: invalid YAML: line 2, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]'],
  ]
  for (const [what, text, message] of refused) {
    it(`refuses ${what} in a stack's file, naming the file and the field`, () => {
      assert.throws(
        () => parseStackConfig(text, 'apps/web/kedge.yaml'),
        (error: unknown) => error instanceof InvalidConfigError && error.message === message && (error.hint !== undefined || !message.includes('not in a stack')),
      )
    })
  }

  it("reads a stack's own kedge.yaml from its directory, null when it has none", () => {
    const root = tempDir()
    mkdirSync(path.join(root, 'apps/web'), {recursive: true})
    mkdirSync(path.join(root, 'apps/api'), {recursive: true})
    writeFileSync(path.join(root, 'apps/web/kedge.yml'), 'reconciliation:\n  prune: false\n')
    assert.deepEqual(readStackConfig(root, path.join(root, 'apps/web')), {
      overrides: {prune: false},
      text: {path: 'apps/web/kedge.yml', content: 'reconciliation:\n  prune: false\n'},
    })
    assert.deepEqual(readStackConfig(root, path.join(root, 'apps/api')), {overrides: null, text: null})
  })
})

describe('loadKedgeConfig and resolveComposeFiles', () => {
  it('means all defaults when there is no kedge.yaml, and finds compose files in Compose order', () => {
    const root = tempDir()
    writeFileSync(path.join(root, 'docker-compose.yml'), 'services: {}\n')
    writeFileSync(path.join(root, 'compose.yaml'), 'services: {}\n')
    const config = loadKedgeConfig(root, root)
    assert.equal(config.file, null)
    assert.equal(config.mode, 'auto')
    assert.deepEqual(resolveComposeFiles(root, root, config), ['compose.yaml'])
  })

  it('reads kedge.yml in a sub-directory and names it in errors', () => {
    const root = tempDir()
    mkdirSync(path.join(root, 'stacks/web'), {recursive: true})
    writeFileSync(path.join(root, 'stacks/web/kedge.yml'), 'reconciliation:\n  mode: wrong\n')
    assert.throws(() => loadKedgeConfig(root, path.join(root, 'stacks/web')), /^InvalidConfigError: stacks\/web\/kedge\.yml: reconciliation\.mode/)
  })

  it('refuses named compose files that are missing or outside the repository', () => {
    const root = tempDir()
    mkdirSync(path.join(root, 'stack'))
    writeFileSync(path.join(root, 'base.yaml'), 'services: {}\n')
    const stack = path.join(root, 'stack')
    const configWith = (files: string[]) => ({...parseKedgeConfig('', 'stack/kedge.yaml'), composeFiles: files})
    assert.deepEqual(resolveComposeFiles(root, stack, configWith(['../base.yaml'])), ['../base.yaml'])
    assert.throws(() => resolveComposeFiles(root, stack, configWith(['missing.yaml'])), /docker\.compose_file: "missing\.yaml" does not exist/)
    assert.throws(() => resolveComposeFiles(root, stack, configWith(['../../etc/passwd'])), /is outside the repository/)
    assert.throws(() => resolveComposeFiles(root, stack, configWith(['/etc/passwd'])), /is outside the repository/)
  })

  it('says where it looked when there is no compose file', () => {
    const root = tempDir()
    assert.throws(
      () => resolveComposeFiles(root, root, loadKedgeConfig(root, root)),
      (error: unknown) => error instanceof InvalidInputError && error.code === 'no_compose_file' && /compose\.yaml, compose\.yml/.test(error.message),
    )
  })
})
