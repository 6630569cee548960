import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {parse} from 'yaml'

import {addressPoolHint, composeV2Features, isEmptyProject, locateComposeError, needsComposeV2} from '../../src/model/compose/compose-errors.js'

const files = [parse('services:\n  web:\n    image: app:1\n    ports: ["8080:80", notaport]\n  db:\n    image: db:1\n')]

describe('Compose refusals that name their place', () => {
  it('puts the service and field first when v2 names only the value', () => {
    assert.equal(locateComposeError('Invalid containerPort: notaport', files), 'service "web" ports: Invalid containerPort: notaport')
  })

  it('leaves a reason that already names its place as Compose said it', () => {
    for (const reason of [
      'services.web.ports contains an invalid type, it should be a number, or an object',
      'service "web" depends on undefined service "nope": invalid compose project',
      "validating /x/docker-compose.yaml: (root) Additional property servicez is not allowed",
      "error decoding 'services[web].mem_limit': invalid size: 'lots'",
    ]) {
      assert.equal(locateComposeError(reason, files), reason)
    }
  })

  it('says nothing more when the value is nowhere, or in more than one place', () => {
    assert.equal(locateComposeError('something odd: elsewhere', files), 'something odd: elsewhere')
    const twice = [parse('services:\n  a:\n    image: x:1\n  b:\n    image: x:1\n')]
    assert.equal(locateComposeError('bad reference: x:1', twice), 'bad reference: x:1')
    assert.equal(locateComposeError('no separator at all', files), 'no separator at all')
    assert.equal(locateComposeError('Invalid containerPort: notaport', [null, 'text', {services: []}]), 'Invalid containerPort: notaport')
  })

  it("knows v2's word for compose files without services", () => {
    assert.equal(isEmptyProject('empty compose file'), true)
    assert.equal(isEmptyProject('empty compose file: services.web'), false)
  })
})

/** Compose v1's refusals as kedge condenses them to one line: its own words, as docker-compose 1.29.2 prints them. */
const V1_INVALID = "The Compose file './compose.yaml' is invalid because:"
const V1_VERSION_ADVICE =
  "You might be seeing this error because you're using the wrong Compose file version. Either specify a supported version (e.g \"2.2\" or \"3.3\") and place your service definitions under the `services` key, or omit the `version` key and place your service definitions at the root of the file to use version 1.; For more on the Compose file format versions, see https://docs.docker.com/compose/compose-file/"

describe('Compose v1 refusing what only Compose v2 knows', () => {
  it('names each v2 feature in the words of the file', () => {
    const cases: Array<[string, string[]]> = [
      [`${V1_INVALID} 'include' does not match any of the regexes: '^x-'; ${V1_VERSION_ADVICE}`, ['top-level include']],
      [`${V1_INVALID} 'name' does not match any of the regexes: '^x-'; ${V1_VERSION_ADVICE}`, ['top-level name']],
      [`${V1_INVALID} services.web.depends_on contains unsupported option: 'restart'`, ['services.web.depends_on.restart']],
      [`${V1_INVALID} services.web.depends_on contains unsupported option: 'required'`, ['services.web.depends_on.required']],
      [`${V1_INVALID} Unsupported config option for services.web: 'develop'`, ['services.web.develop']],
      [`${V1_INVALID} Unsupported config option for services.my-api: 'gpus'`, ['services.my-api.gpus']],
      [`${V1_INVALID} services.web.build contains unsupported option: 'additional_contexts'`, ['services.web.build.additional_contexts']],
      [`${V1_INVALID} services.web.volumes contains unsupported option: 'subpath'`, ['services.web.volumes.subpath']],
      [`${V1_INVALID} services.web.healthcheck value 'start_interval' does not match any of the regexes: '^x-'`, ['services.web.healthcheck.start_interval']],
      [`${V1_INVALID} services.web.networks.front contains unsupported option: 'driver_opts'`, ['services.web.networks.front.driver_opts']],
      [`${V1_INVALID} configs.site value 'content' does not match any of the regexes: '^x-'`, ['configs.site.content']],
      [`${V1_INVALID} services.web.env_file contains {"path": "./a.env", "required": false}, which is an invalid type, it should be a string`, ['services.web.env_file as {path, required}']],
      [
        `${V1_INVALID} Unsupported config option for services.web: 'develop'; 'include', 'name' do not match any of the regexes: '^x-'; ${V1_VERSION_ADVICE}`,
        ['services.web.develop', 'top-level include', 'top-level name'],
      ],
    ]
    for (const [reason, features] of cases) assert.deepEqual(composeV2Features(reason), features, reason)
  })

  it('says so in one line, for one feature and for several', () => {
    assert.equal(
      needsComposeV2(`${V1_INVALID} 'include' does not match any of the regexes: '^x-'; ${V1_VERSION_ADVICE}`),
      'top-level include needs Compose v2, and this host runs Compose v1 (docker-compose)',
    )
    assert.equal(
      needsComposeV2(`${V1_INVALID} Unsupported config option for services.web: 'develop'; 'name' does not match any of the regexes: '^x-'`),
      'services.web.develop, top-level name need Compose v2, and this host runs Compose v1 (docker-compose)',
    )
  })

  it('leaves alone what is not a v2 feature: a misspelt key, a key v2 does not know either, a wrong type, and v2\'s own words', () => {
    for (const reason of [
      `${V1_INVALID} 'servicez' does not match any of the regexes: '^x-'; ${V1_VERSION_ADVICE}`,
      `${V1_INVALID} Unsupported config option for services.web: 'volume_driver'`,
      `${V1_INVALID} Unsupported config option for services.web: 'imagez'`,
      `${V1_INVALID} services.web.depends_on contains unsupported option: 'conditon'`,
      `${V1_INVALID} services.web.ports contains an invalid type, it should be a number, or an object`,
      `${V1_INVALID} services.web.env_file contains an invalid type, it should be a string, or an array`,
      'validating /x/compose.yaml: services.web Additional property develop is not allowed',
      'Invalid containerPort: notaport',
    ]) {
      assert.deepEqual(composeV2Features(reason), [], reason)
      assert.equal(needsComposeV2(reason), null, reason)
    }
  })
})

describe('the engine out of address pools', () => {
  it('says what ran out and how to fix it, and nothing for other refusals', () => {
    const reason = 'Error response from daemon: could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network'
    assert.match(addressPoolHint(reason)!, /^the Docker engine ran out of address pools .*default-address-pools.*docs\/stacks\.md$/)
    assert.equal(addressPoolHint('network kt_default not found'), null)
  })
})
