/**
 * Reading history: `?since=&until=&step=` of the metrics API and the chart ranges of the
 * UI. `since` is a time (ISO 8601 or Unix seconds) or a span back from now ("1h",
 * "24h", "7d", "30d"); `step` is raw, 1m or 1h, or auto: raw within the raw window,
 * minutes within theirs, hours beyond.
 */
import { z } from 'zod'
import type { Deps } from '../../deps.ts'
import type { TimedPoint } from './chunk.ts'
import { loadMetricsSettings, parseDuration } from './settings.ts'
import { history, type Step } from './store.ts'

const timeOrSpan = z
  .string()
  .max(40)
  .refine(
    (v) => parseDuration(v) !== null || /^\d{9,11}$/.test(v) || !Number.isNaN(Date.parse(v)),
    'must be a time (ISO 8601 or Unix seconds) or a span such as 1h, 24h, 7d',
  )

export const historyQuery = z
  .object({
    since: timeOrSpan.default('1h'),
    until: timeOrSpan.optional(),
    step: z.enum(['auto', 'raw', '1m', '1h']).default('auto'),
  })
  .strict()

export type HistoryQuery = z.infer<typeof historyQuery>

function toTime(value: string, now: number): number {
  const span = parseDuration(value)
  if (span !== null) return now - span
  if (/^\d{9,11}$/.test(value)) return Number(value) * 1000
  return Date.parse(value)
}

let settings: ReturnType<typeof loadMetricsSettings> | null = null

export function chooseStep(since: number, until: number, now: number, step: HistoryQuery['step']): Step {
  if (step === 'raw') return 'raw'
  if (step === '1m') return 'minute'
  if (step === '1h') return 'hour'
  settings ??= loadMetricsSettings()
  if (since >= now - settings.rawRetentionMs && until - since <= 30 * 60_000) return 'raw'
  if (since >= now - settings.minuteRetentionMs && until - since <= 48 * 3_600_000) return 'minute'
  return 'hour'
}

export type History = { step: Step; since: number; until: number; points: TimedPoint[] }

export async function metricsHistory(
  deps: Deps,
  serverId: number,
  query: HistoryQuery,
  now = Date.now(),
): Promise<History> {
  const since = toTime(query.since, now)
  const until = query.until ? toTime(query.until, now) : now
  const step = chooseStep(since, until, now, query.step)
  return { step, since, until, points: await history(deps.database, serverId, step, since, until) }
}

/** A point in the API's snake_case. */
export const publicPoint = (p: TimedPoint) => ({
  at: new Date(p.at).toISOString(),
  cpu: p.cpu,
  memory: p.memory,
  swap: p.swap,
  disk: p.disk,
  load1: p.load1,
  net_rx: p.netRx,
  net_tx: p.netTx,
  disk_read: p.diskRead,
  disk_write: p.diskWrite,
})
