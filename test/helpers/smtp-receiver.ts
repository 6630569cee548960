import {type ChildProcessByStdio, spawn} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import net from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'
import type {Readable} from 'node:stream'

import {waitFor} from './wait.js'

export interface ReceivedMail {
  from: string
  to: string[]
  /** The message as sent after DATA: headers, a blank line, the body. */
  data: string
}

export interface SmtpReceiver {
  port: number
  messages(): Promise<ReceivedMail[]>
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedMail[]>
  close(): Promise<void>
}

/**
 * Python's standard library SMTP server (smtpd, deprecated but still in 3.11), which appends each mail it
 * receives to a file as a JSON line. It speaks plain SMTP only: no STARTTLS, no AUTH.
 */
const SERVER = `
import asyncore, json, smtpd, sys

class Recorder(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        with open(sys.argv[1], 'a', encoding='utf-8') as out:
            out.write(json.dumps({'from': mailfrom, 'to': rcpttos, 'data': data.decode('utf-8', 'replace')}) + '\\n')

server = Recorder(('127.0.0.1', 0), None, decode_data=False)
print(server.socket.getsockname()[1], flush=True)
asyncore.loop()
`

/**
 * An SMTP server on 127.0.0.1, until closed (the caller closes it: an `after` registered here would end
 * with a `before` hook).
 */
export async function startSmtpReceiver(): Promise<SmtpReceiver> {
  const directory = mkdtempSync(path.join(tmpdir(), 'kedge-smtp-'))
  const file = path.join(directory, 'mails.jsonl')
  const child = spawn('python3', ['-W', 'ignore::DeprecationWarning', '-c', SERVER, file], {stdio: ['ignore', 'pipe', 'pipe']})
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve())
    child.once('error', () => resolve())
  })
  const close = async () => {
    if (child.exitCode === null) child.kill('SIGTERM')
    await exited
    rmSync(directory, {recursive: true, force: true})
  }

  let port: number
  try {
    port = await listeningPort(child, () => stderr)
    await waitFor('the SMTP receiver to accept connections', () => accepts(port), 10_000)
  } catch (error) {
    await close()
    throw error
  }

  const messages = async (): Promise<ReceivedMail[]> => {
    if (!existsSync(file)) return []
    return readFileSync(file, 'utf8').split('\n').filter((line) => line.length > 0).map((line) => JSON.parse(line) as ReceivedMail)
  }
  return {
    port,
    messages,
    waitFor: (count, timeoutMs = 5000) =>
      waitFor(`${count} mails`, async () => {
        const received = await messages()
        return received.length >= count && received
      }, timeoutMs, 50),
    close,
  }
}

/** The port the server prints once it listens. */
function listeningPort(child: ChildProcessByStdio<null, Readable, Readable>, stderr: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      const line = /^(\d+)\n/.exec(stdout)
      if (line) resolve(Number(line[1]))
    })
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`the SMTP receiver exited (${code}): ${stderr()}`)))
  })
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}
