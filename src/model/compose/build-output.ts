import {redact} from '../secrets/redaction.js'

/** How much of a failed build's output a deployment keeps: its end, where the build says why it failed. */
export const KEPT_BUILD_OUTPUT_BYTES = 64 * 1024

/**
 * A build's output as the deployment keeps it: redacted whole (so that no secret is cut in two before it
 * is masked), then its last 64 KiB from the start of a line.
 */
export function keptBuildOutput(output: string): string | null {
  const redacted = redact(output).trimEnd()
  if (redacted === '') return null
  const bytes = Buffer.from(redacted, 'utf8')
  if (bytes.length <= KEPT_BUILD_OUTPUT_BYTES) return redacted
  const tail = bytes.subarray(bytes.length - KEPT_BUILD_OUTPUT_BYTES).toString('utf8')
  const lineStart = tail.indexOf('\n')
  return lineStart >= 0 && lineStart < tail.length - 1 ? tail.slice(lineStart + 1) : tail
}
