import {StringDecoder} from 'node:string_decoder'

import type {EngineEvent} from '../../ports/engine.js'

import {errorMessage} from '../../model/errors.js'
import {MAX_EVENT_LINE_CHARS, parseEngineEvent, quoted} from './event-lines.js'

/**
 * Reads an open event stream line by line until it ends (the engine stopped, the connection broke) or
 * `signal` aborts; resolves then. A line that is not an event is skipped and handed to `onUnreadable`.
 */
export function readEvents(
  stream: NodeJS.ReadableStream,
  options: {signal: AbortSignal; onEvent: (event: EngineEvent) => void; onUnreadable: (problem: string) => void},
): Promise<void> {
  return new Promise<void>((resolve) => {
    // Decoded across chunks: a chunk may end inside a character of a label's value.
    const decoder = new StringDecoder('utf8')
    let buffered = ''
    const finish = () => {
      options.signal.removeEventListener('abort', abort)
      resolve()
    }
    const abort = () => {
      ;(stream as unknown as {destroy?: () => void}).destroy?.()
      finish()
    }
    options.signal.addEventListener('abort', abort, {once: true})
    stream.on('data', (chunk: Buffer) => {
      buffered += decoder.write(chunk)
      const lines = buffered.split('\n')
      buffered = lines.pop()!
      if (buffered.length > MAX_EVENT_LINE_CHARS) {
        options.onUnreadable(`more than ${MAX_EVENT_LINE_CHARS} characters without a line break, dropped: ${quoted(buffered)}`)
        buffered = ''
      }
      for (const line of lines) {
        if (line.trim().length === 0) continue
        let event: EngineEvent
        try {
          event = parseEngineEvent(line)
        } catch (error) {
          options.onUnreadable(errorMessage(error))
          continue
        }
        options.onEvent(event)
      }
    })
    stream.on('end', finish)
    stream.on('close', finish)
    stream.on('error', finish)
  })
}
