import {clipped, ExternalError, quoted} from '../../model/errors.js'
import {redact} from '../../model/secrets/redaction.js'
import {jsonObjectOf, type RegistryRequestError} from './registry-http.js'

/** What a question to a registry was about: every error names both. */
export interface RegistryQuestion {
  /** The registry's host (and port). */
  registry: string
  /** The image reference as the caller wrote it. */
  reference: string
}

/**
 * The registry (or what kedge needs to reach it) failed: one line naming the registry and the reference.
 * Message and hint are redacted, so that no credential kedge has read can reach them; no cause is kept,
 * as a cause's text is not redacted.
 */
export function registryFailed(question: RegistryQuestion, detail: string, hint: string): ExternalError {
  return new ExternalError(message(question, detail), {code: 'registry_failed', hint: redact(hint)})
}

/** The registry wants credentials kedge does not have, or refused those it sent. */
export function registryAuthFailed(question: RegistryQuestion, detail: string, hint: string): ExternalError {
  return new ExternalError(message(question, detail), {code: 'registry_auth_failed', hint: redact(hint)})
}

/** An exchange that gave no answer (time ran out, the connection failed, the caller gave up). */
export function unanswered(question: RegistryQuestion, error: RegistryRequestError): ExternalError {
  switch (error.reason) {
    case 'abandoned':
      return registryFailed(question, 'abandoned', 'the work the question was part of was abandoned')
    case 'timeout':
      return registryFailed(question, error.message, `check that ${question.registry} answers from this host; kedge asks again at the next check`)
    case 'redirect':
      return registryFailed(question, `it answered with ${error.message}`, `check the registry's address: kedge follows at most a few redirects, never from https to http`)
    case 'unreachable':
      return registryFailed(question, error.message, `check that ${question.registry} can be reached from this host (its name, the network, a proxy, its TLS certificate)`)
  }
}

/**
 * What the registry said of its refusal, in a few words, when its body says it as the Registry API does
 * (`{"errors": [{"message": …}]}`) or as token services do (`{"details": …}`, `{"error_description": …}`).
 */
export function registrySays(body: Buffer): string | null {
  const parsed = jsonObjectOf(body)
  if (parsed === null) return null
  const answer = parsed as {errors?: Array<{message?: unknown}>; details?: unknown; error_description?: unknown; error?: unknown}
  const said = [Array.isArray(answer.errors) ? answer.errors[0]?.message : undefined, answer.details, answer.error_description, answer.error].find(
    (text): text is string => typeof text === 'string' && text.trim() !== '',
  )
  return said === undefined ? null : clipped(said.replace(/\s+/g, ' ').trim())
}

function message(question: RegistryQuestion, detail: string): string {
  return redact(`kedge could not ask ${question.registry} for the digest of ${quoted(question.reference)}: ${detail}`).replace(/[\r\n]+/g, ' ')
}
