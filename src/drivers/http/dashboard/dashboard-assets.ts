import {createHash} from 'node:crypto'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {gzipSync} from 'node:zlib'

/** One file of the dashboard, read once when serve starts: they are small (see dist/dashboard/manifest.json). */
export interface DashboardFile {
  body: Buffer
  gzipped: Buffer
  type: string
  etag: string
}

export interface DashboardAssets {
  index: DashboardFile
  /** By file name: the build names them by their content's hash, so they never change under a name. */
  assets: Map<string, DashboardFile>
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
}

/**
 * `dist/dashboard`, built by `npm run build` (scripts/build-dashboard.js): beside dist/drivers in a
 * build, and found from src/ the same way when kedge runs from its sources.
 */
export function dashboardDirectory(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../dist/dashboard')
}

/** The built dashboard, or null when it was not built (serve then answers / with `dashboard_missing`). */
export function loadDashboard(directory = dashboardDirectory()): DashboardAssets | null {
  const indexFile = path.join(directory, 'index.html')
  if (!existsSync(indexFile)) return null
  const assetsDirectory = path.join(directory, 'assets')
  const assets = new Map<string, DashboardFile>()
  for (const name of existsSync(assetsDirectory) ? readdirSync(assetsDirectory) : []) {
    const type = TYPES[path.extname(name)]
    if (type) assets.set(name, fileOf(readFileSync(path.join(assetsDirectory, name)), type))
  }
  return {index: fileOf(readFileSync(indexFile), TYPES['.html']!), assets}
}

function fileOf(body: Buffer, type: string): DashboardFile {
  return {body, gzipped: gzipSync(body, {level: 9}), type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`}
}
