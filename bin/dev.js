#!/usr/bin/env -S node --import tsx --disable-warning=ExperimentalWarning
import {execute} from '@oclif/core'

// The home holds credentials and private clones: what kedge writes is its user's alone (see src/store/private-home.ts).
process.umask(0o077)

await execute({development: true, dir: import.meta.url})
