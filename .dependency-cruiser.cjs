// The directions of kedge's layers, checked by `npm run depcheck` in `npm test`
// (docs/testing.md):
// model <- ports <- use cases; adapters and the store implement ports; drivers choose the adapters in
// the composition files only. Type-only imports count: a type pulls its module's design along with it.

/** Node's built-in modules that start processes or threads, or reach the network. */
const PROCESS_AND_NETWORK_BUILTINS = [
  'child_process', 'cluster', 'worker_threads', 'net', 'tls', 'http', 'https', 'http2', 'dgram', 'dns', 'dns/promises',
]
/** The packages that do I/O: the engine's API, SQLite, the HTTP server, metrics, the CLI framework. */
const IO_PACKAGES = ['dockerode', 'better-sqlite3', 'drizzle-orm', 'fastify', 'prom-client', '@oclif/[^/]+', 'nodemailer']

/** A built-in module's name as imported, with or without `node:`. */
const builtin = (names) => `^(node:)?(${names.join('|')})$`
/** A package and anything under it, as resolved in node_modules (its own or its @types package's). */
const inPackages = (names) => `(^|/)node_modules/(@types/)?(${names.join('|')})/`

/** Modules the outside loads by name: oclif (commands, the hook, the help class), bin/run.cjs and the build (the fast path). */
const ENTRY_POINTS = [
  '^src/drivers/cli/commands/',
  '^src/drivers/cli/hooks/',
  '^src/drivers/cli/help\\.ts$',
  '^src/drivers/cli/fast-path/index\\.ts$',
  '^src/drivers/cli/fast-path/run-hot-command\\.ts$',
  '^src/drivers/cli/fast-path/manifest\\.ts$',
  '^src/drivers/cli/fast-path/derive-manifest\\.ts$',
]

/**
 * The driver files that choose adapters: the two composition roots, the command state (it opens the
 * store's connection and registers the home's secrets) and the base command (stopOnSignals, below).
 */
const COMPOSITION_FILES = [
  '^src/drivers/composition\\.ts$',
  '^src/drivers/read-composition\\.ts$',
  '^src/drivers/cli/command-state\\.ts$',
  '^src/drivers/cli/base-command\\.ts$',
]

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'A cycle makes two modules one: neither can be read, tested or moved without the other, and the ' +
        'order in which ES modules initialise decides which sees the other half-loaded.',
      from: {path: '^src/'},
      to: {circular: true},
    },
    {
      name: 'model-imports-only-model',
      severity: 'error',
      comment:
        'The model is what kedge knows, apart from how it learns it: it is tested with plain values, ' +
        'and every other layer may use it because it uses none of them.',
      from: {path: '^src/model/'},
      to: {path: '^src/(ports|usecases|adapters|store|drivers)/'},
    },
    {
      name: 'model-no-io-builtins',
      severity: 'error',
      comment:
        'The model does no I/O. Of Node\'s built-ins it may use path (strings that name paths; it never ' +
        'looks at the file system) and crypto (hashes and HMACs of values in memory). The list is of those ' +
        'allowed, so a built-in Node adds later is refused until someone decides it is pure.',
      from: {path: '^src/model/', pathNot: '^src/model/repository/ssh-keys\\.ts$'},
      to: {dependencyTypes: ['core'], pathNot: builtin(['path', 'crypto'])},
    },
    {
      name: 'model-create-require-only-for-crypto',
      severity: 'error',
      comment:
        'ssh-keys.ts loads node:crypto through createRequire (node:module) only when a fingerprint is ' +
        'asked for, which keeps crypto off the fast path of repo list and status. What createRequire loads ' +
        'is out of this check\'s sight, so node:module is allowed in that one file and nowhere else in the model.',
      from: {path: '^src/model/repository/ssh-keys\\.ts$'},
      to: {dependencyTypes: ['core'], pathNot: builtin(['path', 'crypto', 'module'])},
    },
    {
      name: 'model-no-io-packages',
      severity: 'error',
      comment:
        'The model does no I/O, and of the packages uses only those that compute: yaml (parsing) and ' +
        'zod (validation). The list is of those allowed, so a new package is a decision, not an accident.',
      from: {path: '^src/model/'},
      to: {dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-bundled', 'npm-no-pkg', 'npm-unknown'], pathNot: inPackages(['yaml', 'zod'])},
    },
    {
      name: 'ports-import-only-model',
      severity: 'error',
      comment:
        'A port is the contract between the use cases and an adapter, in the model\'s terms: it names ' +
        'no implementation, built-in or package, so either side can change (or be faked in a test) alone. ' +
        'A port may name another port\'s types.',
      from: {path: '^src/ports/'},
      to: {pathNot: '^src/(model|ports)/'},
    },
    {
      name: 'usecases-no-adapters-store-drivers',
      severity: 'error',
      comment:
        'Use cases reach the world only through the ports in their context (usecases/context.ts), so ' +
        'they run the same under the CLI, the daemon and a test, whichever adapters the composition chose.',
      from: {path: '^src/usecases/'},
      to: {path: '^src/(adapters|store|drivers)/'},
    },
    {
      name: 'usecases-no-io-packages',
      severity: 'error',
      comment:
        'The engine, the database, HTTP and the CLI framework are adapters\' and drivers\' business: a use ' +
        'case that imported one would bypass its port.',
      from: {path: '^src/usecases/'},
      to: {path: inPackages(IO_PACKAGES)},
    },
    {
      name: 'usecases-no-process-or-network-builtins',
      severity: 'error',
      comment:
        'Processes (git, Compose) and the network are reached through the Git, Compose, Engine and ' +
        'Processes ports, never directly.',
      from: {path: '^src/usecases/'},
      to: {
        dependencyTypes: ['core'],
        path: builtin(PROCESS_AND_NETWORK_BUILTINS),
      },
    },
    {
      name: 'adapters-no-usecases-drivers',
      severity: 'error',
      comment:
        'An adapter implements a port and knows nothing of who calls it: importing a use case or a driver ' +
        'would turn the dependency around (and, with the use cases importing ports, close a cycle).',
      from: {path: '^src/(adapters|store)/'},
      to: {path: '^src/(usecases|drivers)/'},
    },
    {
      name: 'drivers-adapters-only-in-composition',
      severity: 'error',
      comment:
        'Which adapters kedge runs with is chosen in one place (drivers/composition.ts and ' +
        'read-composition.ts, with the command state that opens the connection); every other driver file ' +
        'gets what it needs from the context, so a test can hand it other adapters.',
      from: {path: '^src/drivers/', pathNot: COMPOSITION_FILES},
      to: {path: '^src/(adapters|store)/'},
    },
    {
      name: 'base-command-only-stop-on-signals',
      severity: 'error',
      comment:
        'The base command installs the signal handling before any context exists (stopOnSignals, in ' +
        'adapters/process/child-process.ts); it takes nothing else from the adapters or the store.',
      from: {path: '^src/drivers/cli/base-command\\.ts$'},
      to: {path: '^src/(adapters|store)/', pathNot: '^src/adapters/process/child-process\\.ts$'},
    },
    {
      name: 'no-unreachable-modules',
      severity: 'error',
      comment:
        'A module no entry point reaches is dead code, or an entry point this list does not know: ' +
        'either way it should not pass unnoticed. Entry points are what the outside loads by name.',
      from: {path: ENTRY_POINTS},
      to: {path: '^src/', pathNot: ENTRY_POINTS, reachable: false},
    },
  ],
  options: {
    // What the rules name in node_modules is matched by path; nothing inside a package is followed.
    doNotFollow: {path: 'node_modules'},
    // Type-only imports (`import type`) are dependencies too.
    tsPreCompilationDeps: true,
    tsConfig: {fileName: 'tsconfig.json'},
    // Imports are written `./x.js` for `./x.ts` (Node16 resolution); `types` finds @types packages.
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    moduleSystems: ['es6', 'cjs'],
    skipAnalysisNotInRules: true,
  },
}
