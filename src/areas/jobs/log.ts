/**
 * A job's log: lines appended to `<dataDir>/jobs/<id>.log` as they come, and
 * published on the event bus (`job:<id>`) so every viewer, on any panel process,
 * sees them live. Lines are numbered from 1; a viewer that has lines up to n asks for
 * the rest. Secrets handed to the job are replaced before a line is stored or sent.
 *
 * @example
 *   const log = new JobLogWriter(deps, job.id, ['s3cret'])
 *   log.write(['TASK [nginx : install] ***'])
 *   await log.close()
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { Deps } from '../../deps.ts'
import type { Job } from './model.ts'
import { cleanLine } from './output.ts'

export const jobTopic = (logKey: number) => `job:${logKey}`
export const jobLogPath = (dataDir: string, logKey: number) => join(dataDir, 'jobs', `${logKey}.log`)

/** What travels on `job:<id>`: new lines, or the job's changed state (its id only; viewers reload it). */
export type JobEvent =
  | { t: 'lines'; n: number; lines: string[] }
  | { t: 'progress'; done: number; total: number | null }
  | { t: 'state'; id: number; finished: boolean }

const EVENT_BYTES = 6000
const EVENT_LINE_CHARS = 2000
const FLUSH_MS = 100
/** The log kept in the database for other panel processes; beyond it, the head is dropped. */
export const ARCHIVE_BYTES = 4 * 1024 * 1024

export class JobLogWriter {
  /** Lines written so far (also the number of the last one). */
  count = 0
  private pending: string[] = []
  private pendingFrom = 1
  private timer: ReturnType<typeof setTimeout> | null = null
  private readonly path: string
  private readonly secrets: string[]

  constructor(
    private readonly deps: Deps,
    readonly logKey: number,
    secrets: string[] = [],
  ) {
    mkdirSync(join(deps.config.dataDir, 'jobs'), { recursive: true, mode: 0o700 })
    this.path = jobLogPath(deps.config.dataDir, logKey)
    // Appending to an existing log (a recovered job) goes on with its numbering.
    if (existsSync(this.path)) this.count = logLines(readFileSync(this.path, 'utf8')).length
    // Longest first, so a secret containing another is replaced whole.
    this.secrets = secrets.filter((s) => s.length >= 4).sort((a, b) => b.length - a.length)
  }

  private scrub(line: string): string {
    let out = cleanLine(line)
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join('********')
    return out
  }

  /** Stores and announces lines; returns them as stored (cleaned and scrubbed). */
  write(raw: readonly string[]): string[] {
    if (raw.length === 0) return []
    const lines = raw.map((l) => this.scrub(l))
    appendFileSync(this.path, `${lines.join('\n')}\n`, { mode: 0o600 })
    if (this.pending.length === 0) this.pendingFrom = this.count + 1
    this.count += lines.length
    this.pending.push(...lines)
    this.timer ??= setTimeout(() => this.flush(), FLUSH_MS)
    return lines
  }

  /** Publishes the buffered lines in events small enough for NOTIFY. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    let n = this.pendingFrom
    let chunk: string[] = []
    let bytes = 0
    const send = () => {
      if (chunk.length === 0) return
      const event: JobEvent = { t: 'lines', n, lines: chunk }
      this.deps.events.publish(jobTopic(this.logKey), event)
      n += chunk.length
      chunk = []
      bytes = 0
    }
    for (const line of this.pending) {
      const shown = line.length > EVENT_LINE_CHARS ? `${line.slice(0, EVENT_LINE_CHARS)}…` : line
      const size = Buffer.byteLength(shown) + 4
      if (bytes + size > EVENT_BYTES) send()
      chunk.push(shown)
      bytes += size
    }
    send()
    this.pending = []
  }

  /** The whole log for the database copy (its tail when very large). */
  archive(): string {
    if (!existsSync(this.path)) return ''
    const size = statSync(this.path).size
    const text = readFileSync(this.path, 'utf8')
    if (size <= ARCHIVE_BYTES) return text
    const tail = text.slice(-ARCHIVE_BYTES)
    return `[the first ${size - ARCHIVE_BYTES} bytes of this log were dropped]\n${tail.slice(tail.indexOf('\n') + 1)}`
  }

  close(): void {
    this.flush()
  }
}

/** The log of a job: the file on this panel, else the copy kept in the database. */
export function readJobLog(deps: Deps, job: Job, leader: Job | null): string {
  const key = job.batchId ?? job.id
  const path = jobLogPath(deps.config.dataDir, key)
  if (existsSync(path)) return readFileSync(path, 'utf8')
  return (leader ?? job).logText ?? ''
}

/** Splits a log into its lines (no empty last line). */
export function logLines(text: string): string[] {
  if (!text) return []
  const lines = text.split('\n')
  if (lines.at(-1) === '') lines.pop()
  return lines
}
