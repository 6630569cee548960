import {LOG_FORMATS, LOG_LEVELS} from '../../model/config/kedge-config.js'
import {redact} from '../../model/secrets/redaction.js'

export type LogLevel = (typeof LOG_LEVELS)[number]
export type LogFormat = (typeof LOG_FORMATS)[number]
export type LogFields = Record<string, string | number | boolean | null | undefined>

export interface Logger {
  /** The lowest level written. */
  readonly level: LogLevel
  log(level: LogLevel, event: string, fields?: LogFields): void
  /** The same sink with other settings, e.g. a repository's own logging.level. */
  with(settings: {level?: LogLevel; format?: LogFormat}): Logger
}

const RANK: Record<LogLevel, number> = {debug: 10, info: 20, warn: 30, error: 40}

/** One line per event: `time LEVEL event key=value ...`, or one JSON object; secrets kedge knows are masked. */
export function createLogger(settings: {level: LogLevel; format: LogFormat; write?: (line: string) => void}): Logger {
  const write = settings.write ?? ((line: string) => process.stdout.write(`${line}\n`))
  return {
    level: settings.level,
    log(level, event, fields = {}) {
      if (RANK[level] < RANK[settings.level]) return
      const time = new Date().toISOString()
      // Each value on its own, before it is quoted or serialised: a masked value never runs into the next field.
      const present = Object.entries(fields)
        .filter(([, value]) => value !== undefined)
        .map(([key, value]) => [key, typeof value === 'string' ? redact(value) : value] as const)
      if (settings.format === 'json') {
        write(JSON.stringify({time, level, event, ...Object.fromEntries(present)}))
      } else {
        const pairs = present.map(([key, value]) => `${key}=${formatValue(value)}`)
        write([time, level.toUpperCase().padEnd(5), event, ...pairs].join(' '))
      }
    },
    with(overrides) {
      return createLogger({level: overrides.level ?? settings.level, format: overrides.format ?? settings.format, write})
    },
  }
}

/** The more detailed of two levels. */
export function moreVerbose(a: LogLevel, b: LogLevel): LogLevel {
  return RANK[a] <= RANK[b] ? a : b
}

function formatValue(value: string | number | boolean | null | undefined): string {
  const text = String(value)
  return /^[^\s"=]+$/.test(text) ? text : JSON.stringify(text)
}
