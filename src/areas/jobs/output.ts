/**
 * Reading ansible-playbook's output: colour codes removed, the PLAY RECAP counts,
 * task progress (our callback announces each play's task count) and one sentence
 * saying why a run failed, for the job's summary.
 *
 * @example
 *   const recap = parseRecap(log.split('\n'))   // { ok: 3, changed: 1, failed: 0, … }
 */
import type { JobRecap } from '../../db/schema/pg/jobs.ts'

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal escapes is the point
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(\u0007|\u001b\\)|\u001b[@-_]/g
// biome-ignore lint/suspicious/noControlCharactersInRegex: other control characters, kept out of the log
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/g

/** A line as the log keeps it: no colour codes, no control characters, no trailing CR. */
export function cleanLine(line: string): string {
  return line.replace(ANSI, '').replace(/\r$/, '').replace(CONTROL, '')
}

const RECAP_LINE =
  /^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)(?:\s+skipped=(\d+))?(?:\s+rescued=(\d+))?(?:\s+ignored=(\d+))?/

/** The PLAY RECAP counts summed over its hosts, or null when the run printed none. */
export function parseRecap(lines: readonly string[]): JobRecap | null {
  const start = lines.findLastIndex((l) => l.startsWith('PLAY RECAP'))
  if (start < 0) return null
  const recap: JobRecap = { ok: 0, changed: 0, failed: 0, unreachable: 0, skipped: 0 }
  for (const line of lines.slice(start + 1)) {
    const m = RECAP_LINE.exec(line)
    if (!m) continue
    recap.ok += Number(m[2])
    recap.changed += Number(m[3])
    recap.unreachable += Number(m[4])
    recap.failed += Number(m[5])
    recap.skipped += Number(m[6] ?? 0)
  }
  return recap
}

export const TASKS_ANNOUNCED = /^\[unipanel\] tasks in this play: (\d+)$/
export const isTaskStart = (line: string) => line.startsWith('TASK [')

/** Keeps the running count of tasks started and the total the plays announced. */
export class TaskProgress {
  done = 0
  total: number | null = null

  /** Returns true when the counts changed. */
  see(line: string): boolean {
    const announced = TASKS_ANNOUNCED.exec(line)
    if (announced) {
      this.total = (this.total ?? 0) + Number(announced[1])
      return true
    }
    if (isTaskStart(line)) {
      this.done++
      if (this.total !== null && this.done > this.total) this.total = this.done
      return true
    }
    return false
  }
}

const HOST_KEY_CHANGED = /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/

/** Pulls `"msg": "…"` out of a failure line; the text after the arrow is JSON. */
function failureMessage(line: string): string | null {
  const json = line.indexOf('=> {')
  if (json >= 0) {
    try {
      const parsed = JSON.parse(line.slice(json + 3)) as { msg?: unknown; stderr?: unknown }
      const msg = typeof parsed.msg === 'string' && parsed.msg ? parsed.msg : parsed.stderr
      if (typeof msg === 'string' && msg.trim()) return msg.trim()
    } catch {
      // not JSON (a multi-line result); fall through to the raw line
    }
  }
  const text = line.replace(/^(fatal|failed):\s*\[[^\]]*\]:?\s*(FAILED!|UNREACHABLE!)?\s*(=>\s*)?/, '').trim()
  return text || null
}

/** One sentence on why a run failed, from its log, or null when nothing explains it. */
export function failureReason(lines: readonly string[]): string | null {
  if (lines.some((l) => HOST_KEY_CHANGED.test(l))) return 'host-key'
  const fatal = lines.find((l) => /^(fatal|failed): \[/.test(l))
  if (fatal) {
    const message = failureMessage(fatal)
    const first = message?.split('\n')[0]?.slice(0, 300)
    if (first) return fatal.includes('UNREACHABLE!') ? `the host was unreachable: ${first}` : first
  }
  const error = lines.find((l) => l.startsWith('ERROR!'))
  if (error) return error.slice('ERROR!'.length).trim().slice(0, 300)
  return null
}

/** The recap as the operator reads it: "ok=5 changed=1 failed=0 unreachable=0 skipped=2". */
export function recapText(recap: JobRecap): string {
  return `ok=${recap.ok} changed=${recap.changed} failed=${recap.failed} unreachable=${recap.unreachable} skipped=${recap.skipped}`
}
