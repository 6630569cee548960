import {X509Certificate} from 'node:crypto'

import {InvalidInputError} from '../errors.js'

/** A client's TLS material for a tcp:// engine, as dockerd's --tlsverify expects it (the DOCKER_CERT_PATH files). */
export interface TlsMaterial {
  ca: string
  cert: string
  key: string
}

/** What `engine list` shows of the material: the client certificate's subject, issuer and expiry, never the key. */
export interface TlsSummary {
  subject: string
  issuer: string
  notAfter: string
  /** SHA-256 of the CA certificate, to tell which CA an engine is checked against. */
  caFingerprint: string
}

/** Checks that each file is what its flag says, before anything is sealed: a key passed as the certificate is refused here, not at the first deploy. */
export function checkTlsMaterial(material: TlsMaterial, names: {ca: string; cert: string; key: string}): TlsSummary {
  const ca = certificateOf(material.ca, names.ca, 'the CA certificate')
  const cert = certificateOf(material.cert, names.cert, 'the client certificate')
  if (!/-----BEGIN ((RSA|EC|ENCRYPTED) )?PRIVATE KEY-----/.test(material.key)) {
    throw new InvalidInputError(`${names.key} holds no PEM private key`, {code: 'invalid_auth', hint: 'pass the client key (key.pem) that goes with the client certificate'})
  }
  if (/ENCRYPTED/.test(material.key)) {
    throw new InvalidInputError(`${names.key} is encrypted with a passphrase, which kedge cannot give when it connects`, {
      code: 'invalid_auth',
      hint: 'pass an unencrypted key: kedge seals it with the home\'s key',
    })
  }
  return {subject: cert.subject.replace(/\n/g, ', '), issuer: cert.issuer.replace(/\n/g, ', '), notAfter: new Date(cert.validTo).toISOString(), caFingerprint: ca.fingerprint256}
}

function certificateOf(pem: string, name: string, what: string): X509Certificate {
  try {
    return new X509Certificate(pem)
  } catch {
    throw new InvalidInputError(`${name} holds no PEM certificate, and it should be ${what}`, {code: 'invalid_auth', hint: 'pass the PEM files dockerd --tlsverify was set up with: ca.pem, cert.pem and key.pem'})
  }
}
