/**
 * The panel's log: one line per event on stdout (stderr for errors), as
 * `time level message key=value…`, readable by journald and grep alike.
 */
export type Log = {
  info(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
  error(message: string, fields?: Record<string, unknown>): void
}

const format = (value: unknown): string => {
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  // Never let a logged value start a new line (log injection).
  return /[\s"=]/.test(text ?? '') ? JSON.stringify(text) : String(text)
}

function line(level: string, message: string, fields?: Record<string, unknown>): string {
  const parts = [new Date().toISOString(), level, message.replace(/[\r\n]+/g, ' ')]
  for (const [k, v] of Object.entries(fields ?? {})) if (v !== undefined) parts.push(`${k}=${format(v)}`)
  return `${parts.join(' ')}\n`
}

export function createLog(options: { quiet?: boolean } = {}): Log {
  const out =
    (level: string, stream: 'stdout' | 'stderr') => (message: string, fields?: Record<string, unknown>) => {
      if (options.quiet && level === 'info') return
      process[stream].write(line(level, message, fields))
    }
  return { info: out('info', 'stdout'), warn: out('warn', 'stderr'), error: out('error', 'stderr') }
}

/** A log that keeps its lines in memory, for tests. */
export function memoryLog(): Log & { lines: string[] } {
  const lines: string[] = []
  const keep = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push(line(level, message, fields))
  }
  return { lines, info: keep('info'), warn: keep('warn'), error: keep('error') }
}
