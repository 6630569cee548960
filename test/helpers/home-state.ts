import {existsSync, readdirSync} from 'node:fs'
import path from 'node:path'

import {runKedgeJson} from './cli.js'

/** What a refused command must leave unchanged: the registry and the directories under the home. */
export async function homeState(home: string): Promise<{repositories: unknown; files: string[]}> {
  const {json} = await runKedgeJson(['repo', 'list'], {home})
  const files = ['repos', 'staging'].flatMap((dir) =>
    existsSync(path.join(home, dir)) ? readdirSync(path.join(home, dir)).map((entry) => `${dir}/${entry}`) : [],
  )
  return {repositories: json, files}
}
