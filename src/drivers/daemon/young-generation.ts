import {setFlagsFromString} from 'node:v8'

/**
 * Keeps V8's young generation at the size it has now instead of letting it grow to 32 MB. V8 grows it
 * whenever enough objects have outlived a collection since it last grew; with a round every few hundred
 * milliseconds serve always gets there, and keeps the memory for good: at 50 repositories it was a
 * quarter of serve's resident memory. Read by V8 each time it would grow the space, so setting it after
 * start works, unlike --max-semi-space-size, which only a node command line can set. What it buys is
 * measured by bench/idle-cost.ts (serve's resident memory at 50 repositories, and the CPU it costs):
 * see docs/performance.md, "Idle cost and scale".
 */
export function keepYoungGenerationSmall(): void {
  setFlagsFromString('--semi-space-growth-factor=1')
}
