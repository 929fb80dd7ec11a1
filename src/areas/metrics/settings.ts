/**
 * How often the panel samples its own host and how long history is kept, from the
 * environment. A bad value stops the panel with one line naming the variable.
 *
 *   UNIPANEL_METRICS_INTERVAL          seconds between local samples, 1–5 (default 5)
 *   UNIPANEL_METRICS_RAW_RETENTION     raw samples, e.g. 15m (default; 5m–24h)
 *   UNIPANEL_METRICS_MINUTE_RETENTION  1-minute roll-ups (default 48h; 2h–90d)
 *   UNIPANEL_METRICS_HOUR_RETENTION    1-hour roll-ups (default 400d; 2d–10y)
 */
import { ConfigError } from '../../config.ts'

export type MetricsSettings = {
  intervalSeconds: number
  rawRetentionMs: number
  minuteRetentionMs: number
  hourRetentionMs: number
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** "15m", "48h", "30d" → milliseconds; null when it is not a duration. */
export function parseDuration(text: string): number | null {
  const match = /^(\d{1,6})([smhd])$/.exec(text.trim())
  return match ? Number(match[1]) * UNITS[match[2]!]! : null
}

function duration(
  env: Record<string, string | undefined>,
  name: string,
  fallback: string,
  min: string,
  max: string,
) {
  const value = env[name] ?? fallback
  const ms = parseDuration(value)
  if (ms === null || ms < parseDuration(min)! || ms > parseDuration(max)!)
    throw new ConfigError(`${name}: must be a duration from ${min} to ${max}, such as ${fallback}`)
  return ms
}

export function loadMetricsSettings(env: Record<string, string | undefined> = process.env): MetricsSettings {
  const interval = env.UNIPANEL_METRICS_INTERVAL ?? '5'
  if (!/^[1-5]$/.test(interval))
    throw new ConfigError('UNIPANEL_METRICS_INTERVAL: must be a number of seconds from 1 to 5')
  return {
    intervalSeconds: Number(interval),
    rawRetentionMs: duration(env, 'UNIPANEL_METRICS_RAW_RETENTION', '15m', '5m', '24h'),
    minuteRetentionMs: duration(env, 'UNIPANEL_METRICS_MINUTE_RETENTION', '48h', '2h', '90d'),
    hourRetentionMs: duration(env, 'UNIPANEL_METRICS_HOUR_RETENTION', '400d', '2d', '3650d'),
  }
}
