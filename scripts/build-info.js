// Writes dist/build-info.json: the commit kedge was built from, for `kedge version`. An install from the
// npm package or the container image has no git repository to ask, so the build records it: from
// KEDGE_BUILD_COMMIT when set (the image's build passes it), else from git when the build runs in a clone.
import {execFileSync} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'

const root = new URL('..', import.meta.url)
const {version} = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'))

function gitCommit() {
  try {
    const git = (...args) => execFileSync('git', args, {cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim()
    const commit = git('rev-parse', 'HEAD')
    return git('status', '--porcelain', '--untracked-files=no').length > 0 ? `${commit}-dirty` : commit
  } catch {
    // Not a clone (an unpacked source tarball): the commit is unknown, and says so.
    return null
  }
}

const commit = process.env.KEDGE_BUILD_COMMIT?.trim() || gitCommit()
writeFileSync(new URL('dist/build-info.json', root), JSON.stringify({version, commit}, null, 2) + '\n')
console.log(`dist/build-info.json: ${version} ${commit ?? '(commit unknown)'}`)
