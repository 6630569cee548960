import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {parse} from 'yaml'

import {isEmptyProject, locateComposeError} from '../../src/core/compose-errors.js'

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
