import {execFileSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {tempDir} from './temp.js'

/** A certificate and its private key, as files and as PEM text. */
export interface CertificateFiles {
  certFile: string
  keyFile: string
  cert: string
  key: string
}

export interface TlsCertificates {
  /** Holds `ca.pem`, `cert.pem` and `key.pem` (the client's), the names the docker CLI reads from DOCKER_CERT_PATH. */
  dir: string
  ca: CertificateFiles
  server: CertificateFiles
  client: CertificateFiles
}

export interface TlsCertificateOptions {
  /** The addresses the server certificate is valid for (subjectAltName IP entries). */
  ipAddresses: string[]
  dnsNames?: string[]
  /** Where to write them; a fresh temp directory, removed after the test, when not given. */
  dir?: string
}

/**
 * A CA of the test's own, a server certificate signed by it for the given addresses (serverAuth) and a
 * client certificate (clientAuth): what a Docker daemon started with --tlsverify and its clients need.
 * P-256 keys, so that all of it takes well under a second.
 */
export function createTlsCertificates(options: TlsCertificateOptions): TlsCertificates {
  const dir = options.dir ?? tempDir('kedge-tls-')
  const file = (name: string) => path.join(dir, name)
  const openssl = (...args: string[]) => execFileSync('openssl', args, {cwd: dir, stdio: ['ignore', 'ignore', 'pipe']})
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']
  // Two days, so that a test run across midnight in another time zone still sees them valid.
  const days = ['-days', '2']
  // An explicit serial: no ca.srl file is needed, and no two certificates of a CA share one.
  const serial = () => ['-set_serial', `0x${randomBytes(16).toString('hex').replace(/^./, '1')}`]

  openssl('req', '-x509', ...newKey, ...days, '-subj', '/CN=kedge-test-ca', '-keyout', file('ca-key.pem'), '-out', file('ca.pem'))

  const subjectAltNames = [...options.ipAddresses.map((ip) => `IP:${ip}`), ...(options.dnsNames ?? []).map((name) => `DNS:${name}`)]
  if (subjectAltNames.length === 0) throw new Error('a server certificate needs at least one address or name')
  writeFileSync(file('server.ext'), `subjectAltName=${subjectAltNames.join(',')}\nextendedKeyUsage=serverAuth\n`)
  openssl('req', ...newKey, '-subj', `/CN=${options.dnsNames?.[0] ?? options.ipAddresses[0]}`, '-keyout', file('server-key.pem'), '-out', file('server.csr'))
  openssl('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca-key.pem'), ...serial(), ...days, '-extfile', file('server.ext'), '-out', file('server-cert.pem'))

  writeFileSync(file('client.ext'), 'extendedKeyUsage=clientAuth\n')
  openssl('req', ...newKey, '-subj', '/CN=kedge-test-client', '-keyout', file('key.pem'), '-out', file('client.csr'))
  openssl('x509', '-req', '-in', file('client.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca-key.pem'), ...serial(), ...days, '-extfile', file('client.ext'), '-out', file('cert.pem'))

  const pair = (certName: string, keyName: string): CertificateFiles => ({
    certFile: file(certName),
    keyFile: file(keyName),
    cert: readFileSync(file(certName), 'utf8'),
    key: readFileSync(file(keyName), 'utf8'),
  })
  return {dir, ca: pair('ca.pem', 'ca-key.pem'), server: pair('server-cert.pem', 'server-key.pem'), client: pair('cert.pem', 'key.pem')}
}
