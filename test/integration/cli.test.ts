import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {runKedge, runKedgeJson} from '../helpers/cli.js'
import {emptyHome} from '../helpers/home-state.js'
import {tempDir} from '../helpers/temp.js'

describe('the kedge CLI', () => {
  it('shows topics, summaries and examples on --help', async () => {
    const result = await runKedge(['--help'])
    assert.equal(result.code, 0)
    assert.match(result.stdout, /GitOps agent for Docker Compose/)
    assert.match(result.stdout, /repo\s+Register, list and remove the git repositories kedge keeps deployed\./)
    assert.match(result.stdout, /EXAMPLES\n.*\n\n\s+\$ kedge repo add https:\/\//)
  })

  it('shows the summary, flags and examples of repo add', async () => {
    const result = await runKedge(['repo', 'add', '--help'])
    assert.equal(result.code, 0)
    assert.match(result.stdout, /^Register a git repository whose compose stack kedge keeps deployed\./)
    for (const flag of ['--name', '--branch', '--path', '--interval', '--json', '--home', '--debug']) assert.ok(result.stdout.includes(flag), flag)
    assert.match(result.stdout, /EXAMPLES\n\s+\$ kedge repo add https:\/\/github\.com\/acme\/webapp\.git/)
  })

  it('refuses an unknown command in one line, or as JSON', async () => {
    const text = await runKedge(['deploy-everything'])
    assert.equal(text.code, 2)
    assert.equal(text.stderr, 'Error: unknown command "deploy-everything"\nHint: run "kedge --help" to see the commands\n')
    const json = await runKedgeJson<{error: {code: string}}>(['repo', 'frobnicate'])
    assert.equal(json.code, 2)
    assert.equal(json.json.error.code, 'unknown_command')
  })

  it('refuses unknown flags and missing arguments with exit 2', async () => {
    const home = tempDir()
    const flag = await runKedge(['repo', 'list', '--frobnicate'], {home})
    assert.equal(flag.code, 2)
    assert.match(flag.stderr, /^Error: Nonexistent flag: --frobnicate\nHint: see --help\n$/)
    const missing = await runKedgeJson<{error: {code: string; message: string}}>(['repo', 'add'], {home})
    assert.equal(missing.code, 2)
    assert.deepEqual(missing.json.error, {code: 'invalid_usage', message: 'Missing 1 required arg: url', hint: 'see --help'})
  })

  it('prints a stack trace only with --debug or KEDGE_DEBUG=1', async () => {
    const home = emptyHome()
    const plain = await runKedge(['repo', 'remove', 'ghost'], {home})
    assert.doesNotMatch(plain.stderr, /\n\s+at /)
    const debug = await runKedge(['repo', 'remove', 'ghost', '--debug'], {home})
    assert.equal(debug.code, 2)
    assert.match(debug.stderr, /^Error: no repository named "ghost"\n[^]*NotFoundError[^]*\n\s+at /)
    const fromEnv = await runKedge(['repo', 'remove', 'ghost'], {home, env: {KEDGE_DEBUG: '1'}})
    assert.match(fromEnv.stderr, /\n\s+at /)
  })
})
