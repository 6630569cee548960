import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {changesLine} from '../../src/model/stack/changes-line.js'

describe('the line that says what applying a stack will do', () => {
  it('groups the services by what happens to them, in the order first met', () => {
    assert.equal(
      changesLine([
        {service: 'web', action: 'recreate', from: 'nginx:1', to: 'nginx:2'},
        {service: 'db', action: 'create', from: null, to: 'postgres:16'},
        {service: 'cache', action: 'recreate', from: 'redis:7', to: 'redis:7.2'},
        {service: 'old', action: 'remove', from: 'x:1', to: null},
        {service: 'proxy', action: 'reload', from: 'caddy:2', to: 'caddy:2'},
      ]),
      'recreating web, cache, starting db, removing old, reloading proxy',
    )
  })

  it('says so when nothing is to change', () => {
    assert.equal(changesLine([]), 'applying: every service is as the commit wants it')
  })
})
