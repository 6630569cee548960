import {existsSync, writeFileSync} from 'node:fs'
import {homedir} from 'node:os'
import path from 'node:path'

import {InvalidInputError, quoted} from '../../model/errors.js'
import {chooseHome, defaultHome, placesLooked, resolveHome, WORKING_DIRECTORY_HOME, type HomeChoice, type HomeSurroundings, type KedgeHome} from '../../model/home.js'

export interface LocatedHome {
  readonly home: KedgeHome
  readonly choice: HomeChoice
  readonly around: HomeSurroundings
}

/** Where this process's home is (model/home.ts chooses; this reads what the choice depends on). */
export function locateHome(homeFlag: string | undefined, env: NodeJS.ProcessEnv = process.env): LocatedHome {
  const cwd = process.cwd()
  const around: HomeSurroundings = {
    cwd,
    uid: process.getuid?.(),
    userHome: env.HOME || homedir(),
    xdgStateHome: env.XDG_STATE_HOME,
    workingDirectoryHomeExists: existsSync(path.join(cwd, WORKING_DIRECTORY_HOME, 'kedge.db')),
  }
  const choice = chooseHome(homeFlag, around)
  return {home: resolveHome(choice.root), choice, around}
}

/** A command that needs a home's state, run where there is none: it creates nothing, and says where it looked. */
export function noHomeError(located: LocatedHome): InvalidInputError {
  const places = placesLooked(located.choice, located.around).map(quoted).join(' and ')
  return new InvalidInputError(`no kedge home at ${places}`, {
    code: 'no_home',
    hint: 'register a repository with "kedge repo add <url>" to create one, or name an existing home with --home or KEDGE_HOME',
  })
}

/** Marks a ./.kedge whose user was told it is still read, so that it is told once. */
const TOLD_FILE = '.default-home-told'

/**
 * An existing ./.kedge is still used, so that upgrading kedge loses no state; its user is told once where
 * the default is now. Where the mark cannot be written (a read-only home), the note is repeated instead.
 */
export function tellOfWorkingDirectoryHome(located: LocatedHome, write: (line: string) => void): void {
  if (located.choice.source !== 'working-directory') return
  const told = path.join(located.home.root, TOLD_FILE)
  if (existsSync(told)) return
  const defaultPlace = defaultHome(located.around)
  write(
    `using the kedge home in the working directory, ${located.home.root}: kedge's default home is now ${defaultPlace}. ` +
      `Move it there, or set KEDGE_HOME to keep it where it is (said once)`,
  )
  try {
    writeFileSync(told, '', {mode: 0o600})
  } catch {
    // Not written: the note is said again next time, which is the only consequence.
  }
}
