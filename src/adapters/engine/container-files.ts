import path from 'node:path'

import type {Engine} from '../../ports/engine.js'
import {engineError, type EngineDescription} from './engine-errors.js'
import type {EngineTransport} from './engine-request.js'
import {tarArchive, type TarEntry} from './tar-archive.js'
import {QUERY_TIMEOUT_MS} from './engine-timeouts.js'

/** Directories kedge makes for a file it puts in a container (`/run/secrets`, say) are as Compose makes them. */
const DIRECTORY_MODE = 0o755

/**
 * Files put in a container that is created and not started yet, as `docker cp` does: into its own file
 * system, so they are there at every start, and on no host disk kedge chose. A directory the path
 * needs and the container lacks is made; one it has is left as it is (an archive entry for it would
 * change its mode).
 */
export function containerFileRequests(transport: EngineTransport, described: EngineDescription): Pick<Engine, 'putContainerFiles'> {
  const failure = (error: unknown) => engineError(error, described)
  const archivePath = (id: string) => `/containers/${encodeURIComponent(id)}/archive`

  async function exists(id: string, directory: string): Promise<boolean> {
    try {
      await transport.call({method: 'HEAD', path: archivePath(id), query: {path: directory}, timeoutMs: QUERY_TIMEOUT_MS})
      return true
    } catch (error) {
      if ((error as {statusCode?: number}).statusCode === 404) return false
      throw failure(error)
    }
  }

  return {
    async putContainerFiles(id, files) {
      for (const file of files) {
        const parts = path.posix.normalize(file.path).split('/').filter(Boolean)
        // The deepest directory the container has: the archive is extracted there, with what lies below it.
        let depth = 0
        while (depth < parts.length - 1 && (await exists(id, `/${parts.slice(0, depth + 1).join('/')}`))) depth++
        const entries: TarEntry[] = [
          ...parts.slice(depth, -1).map((_, index) => ({name: parts.slice(depth, depth + index + 1).join('/'), mode: DIRECTORY_MODE})),
          {name: parts.slice(depth).join('/'), content: Buffer.from(file.content, 'utf8'), mode: file.mode},
        ]
        try {
          await transport.call({
            method: 'PUT',
            path: archivePath(id),
            query: {path: `/${parts.slice(0, depth).join('/')}`},
            body: {type: 'application/x-tar', data: tarArchive(entries)},
            timeoutMs: QUERY_TIMEOUT_MS,
          })
        } catch (error) {
          throw failure(error)
        }
      }
    },
  }
}
