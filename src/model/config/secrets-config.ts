import path from 'node:path'

import {z} from 'zod'


/**
 * kedge.yaml's `secrets:`: SOPS-encrypted files of the repository that kedge decrypts in memory and hands
 * to Compose (docs/secrets.md). A dotenv file (or a YAML or JSON file of `KEY: value` lines) becomes an
 * `env_file` of the services that use it.
 */
/** The formats of SOPS files kedge reads: as SOPS itself names them (`--input-type`). */
export type SopsFormat = 'dotenv' | 'yaml' | 'json'

export interface SecretFile {
  /** The encrypted file, relative to the repository root (as declared, relative to kedge.yaml). */
  file: string
  format: SopsFormat
  /** The services that use it; undefined: every service of the stack. */
  services?: readonly string[]
}

export const SOPS_FORMATS = ['dotenv', 'yaml', 'json'] as const satisfies readonly SopsFormat[]

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
      format: z.enum(SOPS_FORMATS, {error: `expected one of ${SOPS_FORMATS.join(', ')}`}).optional(),
      services: z
        .array(z.string({error: 'expected a service name'}).regex(SERVICE_NAME, {error: 'expected service names'}), {error: 'expected a list of service names'})
        .min(1, {error: 'expected at least one service; leave it out for every service'})
        .optional(),
    },
    {error: 'expected a mapping with file, and optionally format and services'},
  )
  .superRefine((value, ctx) => {
    if (value.format === undefined && formatByExtension(value.file) === null) {
      ctx.addIssue({code: 'custom', message: `${value.file}: set format (one of ${SOPS_FORMATS.join(', ')}): its extension does not say`, path: ['format']})
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
  }))
}
