import {constants} from 'node:fs'
import {access, open} from 'node:fs/promises'
import path from 'node:path'

/** What Debian's console script ends up running, without looking it up first. */
const COMPOSE_V1_MAIN = "import sys; sys.argv[0] = 'docker-compose'; from compose.cli.main import main; sys.exit(main())"

/** The console script setuptools writes for an easy_install-style entry point, as Debian's docker-compose package ships it. */
const ENTRY_POINT_LOOKUP = /load_entry_point\('docker-compose==[^']*', 'console_scripts', 'docker-compose'\)/
const PYTHON_SHEBANG = /^#!(\/\S*\/python[\d.]*)[ \t]*\r?\n/

/**
 * Compose v1 as Debian and Ubuntu install it (apt's docker-compose) starts through a console script that
 * first finds its entry point in the metadata of every installed Python package: about 60 ms of each
 * Compose run, and a deploy runs Compose twice. The argument list that runs the same `main` with the
 * same interpreter directly; null for anything else on PATH under that name (a frozen binary, a pip
 * script that imports `main` already, a wrapper), which then runs as it is.
 */
export async function directComposeV1Entry(name = 'docker-compose'): Promise<string[] | null> {
  const file = await findOnPath(name)
  if (!file) return null
  const head = await readHead(file)
  const shebang = PYTHON_SHEBANG.exec(head)
  return shebang && ENTRY_POINT_LOOKUP.test(head) ? [shebang[1]!, '-c', COMPOSE_V1_MAIN] : null
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
