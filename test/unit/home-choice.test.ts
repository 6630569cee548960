import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {chooseHome, placesLooked, SYSTEM_HOME, type HomeSurroundings} from '../../src/model/home.js'

const user: HomeSurroundings = {cwd: '/srv/work', uid: 1000, userHome: '/home/ada', xdgStateHome: undefined, workingDirectoryHomeExists: false}

describe('the kedge home', () => {
  it('is the one --home or KEDGE_HOME names, relative to the working directory', () => {
    assert.deepEqual(chooseHome('state', user), {root: '/srv/work/state', source: 'chosen'})
    assert.deepEqual(chooseHome('/data/kedge', {...user, workingDirectoryHomeExists: true}), {root: '/data/kedge', source: 'chosen'})
  })

  it('is an existing ./.kedge before the default, so that an upgrade loses no state', () => {
    assert.deepEqual(chooseHome(undefined, {...user, workingDirectoryHomeExists: true}), {root: '/srv/work/.kedge', source: 'working-directory'})
  })

  it("is /var/lib/kedge for root, the XDG state directory for anyone else, never the working directory", () => {
    assert.deepEqual(chooseHome(undefined, {...user, uid: 0}), {root: SYSTEM_HOME, source: 'default'})
    assert.deepEqual(chooseHome(undefined, user), {root: '/home/ada/.local/state/kedge', source: 'default'})
    assert.deepEqual(chooseHome('', {...user, xdgStateHome: '/var/state'}), {root: '/var/state/kedge', source: 'default'})
    // The XDG specification ignores a relative path.
    assert.equal(chooseHome(undefined, {...user, xdgStateHome: 'state'}).root, '/home/ada/.local/state/kedge')
  })

  it('names the places it looked: the chosen one, or ./.kedge and the default', () => {
    assert.deepEqual(placesLooked(chooseHome('/x', user), user), ['/x'])
    assert.deepEqual(placesLooked(chooseHome(undefined, user), user), ['/srv/work/.kedge', '/home/ada/.local/state/kedge'])
  })
})
