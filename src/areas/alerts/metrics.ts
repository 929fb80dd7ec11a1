/** What an alert rule can watch: each metric's label, unit and how to read it from a sample. */
import type { Sample } from '../metrics/collector.ts'

export type AlertMetric = {
  label: string
  unit: '%' | '' | 'B/s' | 'intervals'
  read: (sample: Sample) => number
}

export const ALERT_METRICS = {
  cpu: { label: 'CPU', unit: '%', read: (s) => s.cpu_percent },
  memory: { label: 'Memory used', unit: '%', read: (s) => s.memory.percent },
  swap: { label: 'Swap used', unit: '%', read: (s) => s.swap.percent },
  disk: {
    label: 'Fullest disk',
    unit: '%',
    read: (s) => s.mounts.reduce((max, m) => Math.max(max, m.percent), 0),
  },
  load1: { label: 'Load (1 min)', unit: '', read: (s) => s.load[0] },
  load5: { label: 'Load (5 min)', unit: '', read: (s) => s.load[1] },
  load15: { label: 'Load (15 min)', unit: '', read: (s) => s.load[2] },
  net_rx: { label: 'Network in', unit: 'B/s', read: (s) => s.net_rx_bps },
  net_tx: { label: 'Network out', unit: 'B/s', read: (s) => s.net_tx_bps },
  disk_read: { label: 'Disk reads', unit: 'B/s', read: (s) => s.disk_read_bps },
  disk_write: { label: 'Disk writes', unit: 'B/s', read: (s) => s.disk_write_bps },
  processes: { label: 'Processes', unit: '', read: (s) => s.processes },
  /** Missed sample intervals; evaluated by the offline check, not per sample. */
  offline: { label: 'Missed intervals (offline)', unit: 'intervals', read: () => 0 },
} satisfies Record<string, AlertMetric>

export type AlertMetricName = keyof typeof ALERT_METRICS
export const ALERT_METRIC_NAMES = Object.keys(ALERT_METRICS) as [AlertMetricName, ...AlertMetricName[]]

export const OPS = ['>', '>=', '<', '<='] as const
export type Op = (typeof OPS)[number]

export function compare(value: number, op: Op, threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold
    case '>=':
      return value >= threshold
    case '<':
      return value < threshold
    case '<=':
      return value <= threshold
  }
}

/** Whether a firing alert may resolve: the value went back past the threshold by the hysteresis. */
export function cleared(value: number, op: Op, threshold: number, hysteresis: number): boolean {
  if (op === '>' || op === '>=')
    return value < threshold - hysteresis || (hysteresis === 0 && !compare(value, op, threshold))
  return value > threshold + hysteresis || (hysteresis === 0 && !compare(value, op, threshold))
}

const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB']

export function formatValue(value: number, unit: AlertMetric['unit']): string {
  if (unit === 'B/s') {
    let v = value
    let i = 0
    while (v >= 1024 && i < BYTE_UNITS.length - 1) {
      v /= 1024
      i++
    }
    return `${v.toFixed(v >= 100 || i === 0 ? 0 : 1)} ${BYTE_UNITS[i]}/s`
  }
  if (unit === '%') return `${value.toFixed(1)} %`
  if (unit === 'intervals') return `${Math.round(value)} missed intervals`
  return Number.isInteger(value) ? String(value) : value.toFixed(2)
}
