// Bundles the dashboard (web/) into dist/dashboard: hashed assets under assets/, the static index.html
// that links them, and manifest.json with each file's size. Fails when the whole is over its budget, or
// when anything of src/ would run in the browser (the client may take types from it, nothing else).
import {createHash} from 'node:crypto'
import {mkdir, readFile, readdir, rm, writeFile} from 'node:fs/promises'
import {join, relative} from 'node:path'
import {gzipSync} from 'node:zlib'
import * as esbuild from 'esbuild'

const OUT_DIR = 'dist/dashboard'
const ASSETS_DIR = join(OUT_DIR, 'assets')
const ENTRY = 'web/src/main.tsx'
const FAVICON = 'web/src/favicon.svg'
const GZIP_BUDGET_BYTES = 150_000

await rm(OUT_DIR, {recursive: true, force: true})
await mkdir(ASSETS_DIR, {recursive: true})

const result = await esbuild.build({
  entryPoints: [ENTRY],
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2020',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: ASSETS_DIR,
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
})

const serverModules = Object.keys(result.metafile.inputs).filter((input) => input.startsWith('src/'))
if (serverModules.length > 0) {
  console.error(`the dashboard bundles server code, which it may only import as types: ${serverModules.join(', ')}`)
  process.exit(1)
}

const outputs = Object.keys(result.metafile.outputs).map((output) => `/${relative(OUT_DIR, output)}`)
const script = outputs.find((path) => path.endsWith('.js'))
const stylesheet = outputs.find((path) => path.endsWith('.css'))
if (!script || !stylesheet) {
  console.error(`esbuild wrote no script or no stylesheet: ${outputs.join(', ')}`)
  process.exit(1)
}
const favicon = await copyHashed(FAVICON, ASSETS_DIR)

await writeFile(join(OUT_DIR, 'index.html'), shell({script, stylesheet, favicon}))

const files = []
for (const path of await filesUnder(OUT_DIR)) {
  const content = await readFile(join(OUT_DIR, path))
  files.push({path, bytes: content.length, gzipBytes: gzipSync(content, {level: 9}).length})
}
const totalGzipBytes = files.reduce((total, file) => total + file.gzipBytes, 0)
await writeFile(join(OUT_DIR, 'manifest.json'), `${JSON.stringify({files, totalGzipBytes}, null, 2)}\n`)

const within = totalGzipBytes < GZIP_BUDGET_BYTES
console.log(`dashboard: ${(totalGzipBytes / 1000).toFixed(1)} kB gzipped in ${files.length} files (budget: under ${GZIP_BUDGET_BYTES / 1000} kB)${within ? '' : ': OVER BUDGET'}`)
if (!within) process.exit(1)

/** Copies `source` into `directory` as `<name>-<hash>.<ext>`, the way esbuild names its outputs; answers its URL path. */
async function copyHashed(source, directory) {
  const content = await readFile(source)
  const hash = createHash('sha256').update(content).digest('hex').slice(0, 8).toUpperCase()
  const name = source.split('/').pop().replace(/(\.[^.]+)$/, `-${hash}$1`)
  await writeFile(join(directory, name), content)
  return `/${relative(OUT_DIR, join(directory, name))}`
}

async function filesUnder(directory) {
  const entries = await readdir(directory, {recursive: true, withFileTypes: true})
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(directory, join(entry.parentPath ?? entry.path, entry.name)))
    .sort()
}

/** The static page the server answers for every view: the script draws the rest. */
function shell({script, stylesheet, favicon}) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<title>kedge</title>
<link rel="icon" href="${favicon}" type="image/svg+xml">
<link rel="stylesheet" href="${stylesheet}">
<script type="module" src="${script}"></script>
</head>
<body>
<noscript>The kedge dashboard needs JavaScript. Without it, "kedge status" on the host shows the same.</noscript>
<div id="app"></div>
</body>
</html>
`
}
