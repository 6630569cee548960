import {constants} from 'node:fs'
import {access, open} from 'node:fs/promises'
import path from 'node:path'

import type {ComposeLaunch} from '../core/compose-invocation.js'

/**
 * What Debian's console script ends up running, without looking it up first. The first argument is the
 * script's directory, which becomes the first place Python imports from, as it is for the script: `-c`
 * would put the working directory there, and Compose runs in the stack's directory, where a
 * repository's own `compose/` or `logging.py` would then be imported instead of Compose's modules.
 */
const COMPOSE_V1_MAIN = "import sys; sys.path[0] = sys.argv.pop(1); sys.argv[0] = 'docker-compose'; from compose.cli.main import main; sys.exit(main())"

/** The console script setuptools writes for an easy_install-style entry point, as Debian's docker-compose package ships it. */
const ENTRY_POINT_LOOKUP = /load_entry_point\('docker-compose==[^']*', 'console_scripts', 'docker-compose'\)/
const PYTHON_SHEBANG = /^#!(\/\S*\/python[\d.]*)[ \t]*\r?\n/


/**
 * Compose v1 as Debian and Ubuntu install it (apt's docker-compose) starts through a console script that
 * first finds its entry point in the metadata of every installed Python package: about 60 ms of each
 * Compose run, and a deploy runs Compose twice. The ways to run the same `main` with the same interpreter
 * directly, fastest first, for the caller to try in turn; none for anything else on PATH under that name
 * (a frozen binary, a pip script that imports `main` already, a wrapper), which then runs as it is.
 *
 * The faster one also has `import distutils` load Python's own distutils: Debian's setuptools installs a
 * hook that loads setuptools' copy instead, with pkg_resources and most of setuptools, about 90 ms of
 * each start, for the one function Compose uses (find_executable). A Python without distutils of its own
 * (3.12 and later) fails to start Compose that way, and the caller moves on to the next.
 */
export async function directComposeV1Launches(name = 'docker-compose'): Promise<ComposeLaunch[]> {
  const file = await findOnPath(name)
  if (!file) return []
  const head = await readHead(file)
  const shebang = PYTHON_SHEBANG.exec(head)
  if (!shebang || !ENTRY_POINT_LOOKUP.test(head)) return []
  const argv = [shebang[1]!, '-c', COMPOSE_V1_MAIN, path.dirname(file)]
  return [{argv, environment: {SETUPTOOLS_USE_DISTUTILS: 'stdlib'}}, {argv}]
}

async function findOnPath(name: string): Promise<string | null> {
  for (const directory of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!directory) continue
    const candidate = path.join(directory, name)
    try {
      await access(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return null
}

async function readHead(file: string): Promise<string> {
  const handle = await open(file, 'r')
  try {
    const {buffer, bytesRead} = await handle.read(Buffer.alloc(4096), 0, 4096, 0)
    return buffer.subarray(0, bytesRead).toString('utf8')
  } catch {
    return ''
  } finally {
    await handle.close()
  }
}
