import {ExternalError, InvalidInputError, errorMessage, isKedgeError} from '../../model/errors.js'

/**
 * What a failed TLS connection to an engine means, as one line that names the engine: the engine's
 * certificate is one kedge does not trust, or the engine refused kedge's client certificate. Node names
 * these by the OpenSSL code on the error (a verification failure) or by the alert the server sent.
 */

/** The engine's certificate chain does not lead to the CA kedge has for the engine. */
const NOT_FROM_OUR_CA = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
])

/** The alerts a server sends when it does not take the client's certificate (or got none). */
const CLIENT_CERTIFICATE_ALERT = /^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_ALERT_(BAD_CERTIFICATE|CERTIFICATE_REQUIRED|UNKNOWN_CA|CERTIFICATE_UNKNOWN|UNSUPPORTED_CERTIFICATE|CERTIFICATE_EXPIRED|CERTIFICATE_REVOKED|ACCESS_DENIED|DECRYPT_ERROR)$/

/** A KedgeError for a TLS failure kedge can name; null for any other (the caller keeps it as it is). */
export function explainTlsFailure(error: unknown, engine: {subject: string; host: string; port: number}): ExternalError | null {
  if (isKedgeError(error)) return null
  const code = (error as {code?: unknown}).code
  if (typeof code !== 'string') return null
  const hint = 'give kedge the CA that signed the engine\'s certificate (the ca.pem of dockerd\'s --tlscacert)'
  if (NOT_FROM_OUR_CA.has(code)) {
    return new ExternalError(`${engine.subject} showed a TLS certificate that is not signed by the CA kedge has for it`, {code: 'engine_untrusted', hint, cause: error})
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return new ExternalError(`${engine.subject} showed a TLS certificate that is not for ${engine.host}`, {
      code: 'engine_untrusted',
      hint: 'reach the engine by a name or address its certificate lists (its subjectAltName), or give it a certificate for this one',
      cause: error,
    })
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return new ExternalError(`${engine.subject} showed a TLS certificate that ${code === 'CERT_HAS_EXPIRED' ? 'has expired' : 'is not valid yet'}`, {
      code: 'engine_untrusted',
      hint: 'renew the engine\'s certificate, and check both machines\' clocks',
      cause: error,
    })
  }
  const alert = CLIENT_CERTIFICATE_ALERT.exec(code)?.[1]
  if (alert) {
    return new ExternalError(`${engine.subject} refused kedge's TLS client certificate (${alert.toLowerCase().replaceAll('_', ' ')})`, {
      code: 'engine_refused',
      hint: 'give kedge a client certificate signed by the CA dockerd trusts (its --tlscacert), with its key',
      cause: error,
    })
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') {
    return new ExternalError(`${engine.subject} does not speak TLS on port ${engine.port}`, {
      code: 'engine_unavailable',
      hint: `check that dockerd listens there with --tlsverify (2376 by convention; 2375 is its port without TLS)`,
      cause: error,
    })
  }
  return null
}

/** TLS material that node cannot load (not PEM, a key that is not the certificate's): refused before anything is sent. */
export function unusableTlsMaterial(error: unknown, subject: string): InvalidInputError {
  return new InvalidInputError(`the TLS material kedge has for ${subject} cannot be used: ${errorMessage(error)}`, {
    code: 'invalid_engine_tls',
    hint: 'give the engine\'s ca.pem, and kedge\'s cert.pem and key.pem in PEM form, the key being the certificate\'s',
    cause: error,
  })
}
