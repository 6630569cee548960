import path from 'node:path'

import {z} from 'zod'

/** The formats of SOPS files kedge reads: as SOPS itself names them (`--input-type`). */
export type SopsFormat = 'dotenv' | 'yaml' | 'json'

/** How kedge.yaml names a SOPS file's format: SOPS's own, and `binary`, SOPS's way of encrypting any file (a JSON file whose `data` holds it). */
export type SecretFormat = SopsFormat | 'binary'

/**
 * kedge.yaml's `secrets:`: SOPS-encrypted files of the repository that kedge decrypts in memory and hands
 * to Compose (docs/secrets.md). A dotenv file (or a YAML or JSON file of `KEY: value` lines) becomes an
 * `env_file` of the services that use it; with `target`, the plaintext becomes a file at that path inside
 * their containers instead.
 */
export interface SecretFile {
  /** The encrypted file, relative to the repository root (as declared, relative to kedge.yaml). */
  file: string
  format: SecretFormat
  /** The services that use it; undefined: every service of the stack. */
  services?: readonly string[]
  /** An absolute path inside the containers where the plaintext is put as a file; undefined: their environment. */
  target?: string
  /** The file's mode in the containers (with `target`). */
  mode?: number
}

export const SECRET_FORMATS = ['dotenv', 'yaml', 'json', 'binary'] as const satisfies readonly SecretFormat[]

/** A secret file put in a container is readable by its processes, whichever user they run as, and written by none. */
export const DEFAULT_SECRET_FILE_MODE = 0o444

/** A file's format by its last extension, as `sops` itself guesses it. */
export function formatByExtension(file: string): SopsFormat | null {
  const extension = path.posix.extname(file).toLowerCase()
  if (extension === '.env') return 'dotenv'
  if (extension === '.yaml' || extension === '.yml') return 'yaml'
  if (extension === '.json') return 'json'
  return null
}

const SERVICE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/

const entry = z
  .strictObject(
    {
      file: z
        .string({error: 'expected a file path, relative to kedge.yaml'})
        .min(1, {error: 'expected a file path, relative to kedge.yaml'})
        .refine((file) => !file.startsWith('/') && !file.split(/[\\/]/).includes('..'), {error: 'expected a path relative to kedge.yaml, inside the repository, without ".."'}),
      format: z.enum(SECRET_FORMATS, {error: `expected one of ${SECRET_FORMATS.join(', ')}`}).optional(),
      services: z
        .array(z.string({error: 'expected a service name'}).regex(SERVICE_NAME, {error: 'expected service names'}), {error: 'expected a list of service names'})
        .min(1, {error: 'expected at least one service; leave it out for every service'})
        .optional(),
      target: z
        .string({error: 'expected an absolute path inside the containers'})
        // A component of up to 100 bytes and a path of up to 255: what a tar archive of the file can name (ustar).
        .refine((target) => /^\/[^\0]+$/.test(target) && !target.endsWith('/') && !target.split('/').includes('..') && target.length <= 255 && target.split('/').every((part) => new TextEncoder().encode(part).length <= 100), {
          error: 'expected an absolute path of a file inside the containers, without ".."',
        })
        .optional(),
      mode: z
        .string({error: 'expected an octal mode in quotes, such as "0440"'})
        .regex(/^0?[0-7]{3}$/, {error: 'expected an octal mode in quotes, such as "0440"'})
        .optional(),
    },
    {error: 'expected a mapping with file, and optionally format, services, target and mode'},
  )
  .superRefine((value, ctx) => {
    if (value.format === undefined && formatByExtension(value.file) === null) {
      ctx.addIssue({code: 'custom', message: `${value.file}: set format (one of ${SECRET_FORMATS.join(', ')}): its extension does not say`, path: ['format']})
    }
    if (value.format === 'binary' && value.target === undefined) {
      ctx.addIssue({code: 'custom', message: 'a binary file is not environment: give it a target, the path of a file inside the containers', path: ['target']})
    }
    if (value.mode !== undefined && value.target === undefined) {
      ctx.addIssue({code: 'custom', message: 'mode is the mode of a file inside the containers: it goes with target', path: ['mode']})
    }
  })

export const secretsSection = z.array(entry, {error: 'expected a list of {file: …} entries'}).max(64, {error: 'expected at most 64 secret files'})

/** The section as kedge keeps it: each file made relative to the repository root, from kedge.yaml's directory (`configFile`). */
export function secretFilesOf(section: z.output<typeof secretsSection>, configFile: string): SecretFile[] {
  const directory = path.posix.dirname(configFile)
  return section.map((declared) => ({
    file: path.posix.join(directory, declared.file),
    format: declared.format ?? formatByExtension(declared.file)!,
    ...(declared.services === undefined ? {} : {services: [...new Set(declared.services)]}),
    ...(declared.target === undefined ? {} : {target: path.posix.normalize(declared.target), mode: declared.mode === undefined ? DEFAULT_SECRET_FILE_MODE : parseInt(declared.mode, 8)}),
  }))
}
