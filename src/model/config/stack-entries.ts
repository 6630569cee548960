import {z} from 'zod'

import {STACK_NAME_EXPECTED, STACK_NAME_PATTERN} from '../stack/stack-names.js'

/** The most stacks one repository holds: its listing, and what its globs match. */
export const MAX_STACKS = 256

/** An entry of kedge.yaml's `stacks:`: a directory or a glob, relative to kedge.yaml's directory. */
export interface StackEntry {
  path: string
  /** Only for a single directory: a glob's directories are named by their own names. */
  name?: string
  /** Names of the stacks deployed before this one. */
  after: readonly string[]
}

const MAX_PATH_LENGTH = 1024

const stackPath = z
  .string({error: 'expected a directory path'})
  .min(1, {error: 'expected a directory path'})
  .max(MAX_PATH_LENGTH, {error: `expected a path of at most ${MAX_PATH_LENGTH} characters`})

const stackName = z.string({error: 'expected a stack name'}).regex(STACK_NAME_PATTERN, {error: STACK_NAME_EXPECTED})

const after = z.preprocess(
  (value) => (typeof value === 'string' ? [value] : value),
  z.array(stackName, {error: 'expected a stack name or a list of stack names'}).max(MAX_STACKS, {error: `expected at most ${MAX_STACKS} names`}),
)

/** A directory written alone stands for a mapping of its path, so that a mapping's errors name its own field. */
const entry = z.preprocess(
  (value) => (typeof value === 'string' ? {path: value} : value),
  z
    .strictObject({path: stackPath, name: stackName.optional(), after: after.optional()}, {error: 'expected a directory path, or a mapping of path, name and after'})
    .transform(({path, name, after}): StackEntry => ({path, ...(name === undefined ? {} : {name}), after: [...new Set(after ?? [])]})),
)

/** kedge.yaml's `stacks:`, as written; resolveStackLayout (model/stack/stack-layout.ts) reads it against a checkout. */
export const stackEntries = z
  .array(entry, {error: 'expected a list of directories'})
  .min(1, {error: 'expected at least one stack'})
  .max(MAX_STACKS, {error: `expected at most ${MAX_STACKS} stacks`})
