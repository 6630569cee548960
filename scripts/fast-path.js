// Builds what bin/run.cjs's fast path needs (docs/performance.md): its manifest, derived from oclif's
// configuration and the hot commands' own flag and argument objects, and a bundle of the code those
// commands run. A hot command that declares anything the fast path could not read exactly as oclif does
// is left to oclif (and named in the build's output): it still runs, only without the fast path.
import {mkdirSync, writeFileSync} from 'node:fs'
import {isBuiltin} from 'node:module'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {isDeepStrictEqual} from 'node:util'

import {Config} from '@oclif/core'
import {build, transform} from 'esbuild'

import {fastPathCommandOf, OclifOnlyError, oclifSettingsOf} from '../dist/drivers/cli/fast-path/derive-manifest.js'
import {FAST_PATH_MANIFEST_FILE, HOT_COMMAND_IDS} from '../dist/drivers/cli/fast-path/manifest.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const outdir = path.join(root, 'dist/fast-path')

/** Hooks that run around every command; the fast path runs none. */
const COMMAND_HOOKS = ['init', 'preparse', 'prerun', 'postrun', 'finally']
/**
 * Packages worth bundling, whose many small modules cost more to load one by one than to parse together:
 * those the hot path loads (better-sqlite3's JavaScript: its native library is loaded by path), and
 * those status loads to read a deployed kedge.yaml (in a chunk of their own). drizzle is not among them:
 * the build fails if the hot path would load it.
 */
const BUNDLED_PACKAGES = new Set(['better-sqlite3', 'chalk', 'zod', 'yaml'])
/**
 * Packages that declare they have no side effects: an import of one that nothing uses is dropped (drizzle's,
 * in the store's modules whose writing functions the hot path does not use).
 */
const SIDE_EFFECT_FREE_PACKAGES = new Set(['drizzle-orm'])

/**
 * Modules whose exports are data the build derives from other modules (the plain reads' columns, from
 * the schema): the bundles hold the values, and none of the code and packages that compute them.
 */
const PRECOMPUTED_MODULES = ['dist/store/row-columns.js']
/** Modules that only declare (the schema's tables, drizzle's objects): left out of a bundle that uses none of their exports. */
const DECLARATION_MODULES = ['dist/store/schema.js']

/** Throws when a plugin has a hook around commands: the fast path would have to run it, and runs none. */
function checkHooks(config) {
  for (const plugin of config.plugins.values()) {
    const hook = COMMAND_HOOKS.find((event) => (plugin.hooks[event] ?? []).length > 0)
    if (hook) throw new OclifOnlyError(`${plugin.name} has a ${hook} hook`)
  }
}

/** The manifest, and the hot commands left to oclif with the reason. */
async function writeManifest() {
  const config = await Config.load(root)
  const oclif = oclifSettingsOf(config)
  const commands = {}
  const left = {}
  for (const id of HOT_COMMAND_IDS) {
    try {
      checkHooks(config)
      const cached = config.findCommand(id, {must: true})
      commands[id] = fastPathCommandOf(id, await cached.load(), Object.keys(cached.flags), config.commandIDs)
    } catch (error) {
      if (!(error instanceof OclifOnlyError)) throw error
      left[id] = error.message
    }
  }
  mkdirSync(outdir, {recursive: true})
  writeFileSync(path.join(outdir, FAST_PATH_MANIFEST_FILE), JSON.stringify({oclif, commands, oclifOnly: left}, null, 2) + '\n')
  return left
}

/** Only the packages worth bundling; the others, and Node's modules, stay imports (require() once converted) where they are needed. */
const packagesPlugin = {
  name: 'kedge-packages',
  setup(bundle) {
    bundle.onResolve({filter: /^[@a-z]/i}, (args) => {
      const name = args.path.startsWith('@') ? args.path.split('/').slice(0, 2).join('/') : args.path.split('/')[0]
      if (BUNDLED_PACKAGES.has(name)) return undefined
      return {path: args.path, external: true, sideEffects: !SIDE_EFFECT_FREE_PACKAGES.has(name)}
    })
  },
}

/** Kedge's modules that the bundles hold as data (PRECOMPUTED_MODULES) or leave out when unused (DECLARATION_MODULES). */
const modulesPlugin = {
  name: 'kedge-modules',
  setup(bundle) {
    const declarations = new Set(DECLARATION_MODULES.map((file) => path.join(root, file)))
    bundle.onResolve({filter: /^\./}, (args) => {
      const file = path.resolve(args.resolveDir, args.path)
      return declarations.has(file) ? {path: file, sideEffects: false} : undefined
    })
    for (const file of PRECOMPUTED_MODULES) {
      const filter = new RegExp(`^${path.join(root, file).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)
      bundle.onLoad({filter}, async () => ({contents: await precomputedModule(file), loader: 'js'}))
    }
  },
}

/** The module's exports, computed now, as constants; refused unless they are plain JSON data. */
async function precomputedModule(file) {
  const exports = await import(pathToFileURL(path.join(root, file)).href)
  return Object.entries(exports)
    .map(([name, value]) => {
      const json = JSON.stringify(value)
      if (json === undefined || !isDeepStrictEqual(JSON.parse(json), value)) throw new Error(`${file}: ${name} is not plain data, which the bundles can hold`)
      return `export const ${name} = ${json}\n`
    })
    .join('')
}

/** What import.meta.url becomes in the CommonJS files: the file's own URL, as it was the module's. */
const MODULE_URL = 'kedgeModuleUrl'
const MODULE_URL_BANNER = `const ${MODULE_URL} = require('node:url').pathToFileURL(__filename).href;`

/**
 * The fast path's entry, which decides, and the code the hot commands run, loaded only once the fast path
 * is taken; modules the hot commands load with import() only when they need them (kedge.yaml's parser)
 * become chunks of their own. In a directory under the root as dist/store/ is: the migrations are found
 * relative to it. The files are CommonJS, as bin/run.cjs is: a process that loads no ES module does not
 * start Node's ES module loader. esbuild splits ES modules only, so each file is bundled as one, then
 * converted, with import() becoming require().
 */
async function writeBundles() {
  const bundled = await build({
    entryPoints: ['dist/drivers/cli/fast-path/index.js', 'dist/drivers/cli/fast-path/run-hot-command.js'],
    outdir: 'dist/fast-path',
    outExtension: {'.js': '.cjs'},
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    plugins: [modulesPlugin, packagesPlugin],
    define: {'import.meta.url': MODULE_URL},
    logLevel: 'warning',
    metafile: true,
    write: false,
    absWorkingDir: root,
  })
  for (const entry of ['dist/fast-path/index.cjs', 'dist/fast-path/run-hot-command.cjs']) checkStaticImports(bundled.metafile, entry)
  for (const file of bundled.outputFiles) {
    const converted = await transform(file.text, {format: 'cjs', platform: 'node', target: 'node20', supported: {'dynamic-import': false}, banner: MODULE_URL_BANNER})
    writeFileSync(file.path, converted.code)
  }
}

/** What a bundle imports as it starts must be its own chunks or Node's modules: any other package is loaded where it is needed. */
function checkStaticImports(metafile, entry) {
  const pending = [entry]
  for (const seen = new Set(); pending.length > 0; ) {
    const file = pending.pop()
    if (seen.has(file)) continue
    seen.add(file)
    for (const imported of metafile.outputs[file].imports) {
      if (imported.kind !== 'import-statement') continue
      if (!imported.external) pending.push(imported.path)
      else if (!isBuiltin(imported.path)) throw new Error(`${entry} would load ${imported.path} at start: import it with import() where it is needed`)
    }
  }
}

const left = await writeManifest()
await writeBundles()
console.log(`dist/fast-path: ${HOT_COMMAND_IDS.filter((id) => !left[id]).join(', ') || 'no command'}`)
for (const [id, reason] of Object.entries(left)) console.warn(`dist/fast-path: ${id} is left to oclif: ${reason}`)
