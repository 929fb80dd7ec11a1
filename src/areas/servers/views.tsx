/** @jsxImportSource @kitajs/html */
/**
 * The pieces of the servers' live views, rendered the same way for the first page load
 * and for every SSE update: a server's live block (numbers, per core, per mount, live
 * charts) and its status card on the dashboard.
 */
import type { TimedPoint } from '../metrics/chunk.ts'
import type { Sample } from '../metrics/collector.ts'
import { LIVE_WINDOW_MS } from '../metrics/feeds.ts'
import { formatAge, formatBytes, formatDuration, formatPercent, formatRate } from '../metrics/format.ts'
import type { History } from '../metrics/query.ts'
import { LineChart, ShareBar, segments } from './charts.tsx'

export type LiveState = {
  serverId: number
  points: TimedPoint[]
  latest: Sample | null
  status: 'online' | 'offline' | 'unknown' | null
}

const series = (points: TimedPoint[], pick: (p: TimedPoint) => number) =>
  points.map((p) => ({ at: p.at, value: pick(p) }))

function Stat(props: { label: string; value: string; detail?: string }) {
  return (
    <div class="rounded-lg border border-line p-3">
      <div class="text-xs uppercase tracking-wide text-muted" safe>
        {props.label}
      </div>
      <div class="mt-1 text-xl font-semibold tabular-nums" safe>
        {props.value}
      </div>
      {props.detail ? (
        <div class="text-xs text-muted" safe>
          {props.detail}
        </div>
      ) : (
        ''
      )}
    </div>
  )
}

/** Everything live about one server; the SSE stream swaps it whole on each sample. */
export function LiveBlock(props: { state: LiveState; now?: number }) {
  const { latest, points, status } = props.state
  const now = props.now ?? Date.now()
  if (!latest) {
    return (
      <p class="text-sm text-muted">
        No sample yet. The panel measures its own host by itself; another server reports once its agent runs.
      </p>
    )
  }
  const at = Date.parse(latest.at)
  const to = Math.max(now, at)
  const from = to - LIVE_WINDOW_MS
  return (
    <div class="space-y-4">
      <p class="text-xs text-muted" safe>
        {`${status === 'offline' ? 'Offline — last sample' : 'Last sample'} ${formatAge(at, now)} · every ${latest.interval_seconds} s`}
      </p>
      <div class="grid grid-cols-2 gap-3 lg:grid-cols-4">
        <Stat
          label="CPU"
          value={formatPercent(latest.cpu_percent)}
          detail={`${latest.cpu_cores_percent.length} cores`}
        />
        <Stat
          label="Memory"
          value={formatPercent(latest.memory.percent)}
          detail={`${formatBytes(latest.memory.used_bytes)} of ${formatBytes(latest.memory.total_bytes)}`}
        />
        <Stat
          label="Load"
          value={latest.load[0].toFixed(2)}
          detail={`${latest.load[1].toFixed(2)} · ${latest.load[2].toFixed(2)}`}
        />
        <Stat
          label="Uptime"
          value={formatDuration(latest.uptime_seconds)}
          detail={`${latest.processes} processes`}
        />
        <Stat
          label="Swap"
          value={latest.swap.total_bytes ? formatPercent(latest.swap.percent) : 'none'}
          detail={
            latest.swap.total_bytes
              ? `${formatBytes(latest.swap.used_bytes)} of ${formatBytes(latest.swap.total_bytes)}`
              : ''
          }
        />
        <Stat
          label="Network"
          value={`↓ ${formatRate(latest.net_rx_bps)}`}
          detail={`↑ ${formatRate(latest.net_tx_bps)}`}
        />
        <Stat
          label="Disk I/O"
          value={`R ${formatRate(latest.disk_read_bps)}`}
          detail={`W ${formatRate(latest.disk_write_bps)}`}
        />
      </div>
      <div class="grid gap-4 lg:grid-cols-2">
        <div class="rounded-lg border border-line p-3">
          <h3 class="mb-2 text-xs font-semibold uppercase tracking-wide text-muted">Cores</h3>
          <ul class="grid grid-cols-2 gap-x-4 gap-y-1 text-xs sm:grid-cols-4">
            {latest.cpu_cores_percent.map((value, i) => (
              <li>
                <span class="flex justify-between tabular-nums" safe>
                  {`cpu${i} ${value.toFixed(0)} %`}
                </span>
                <ShareBar percent={value} label={`core ${i} ${value.toFixed(0)} % busy`} />
              </li>
            ))}
          </ul>
        </div>
        <div class="rounded-lg border border-line p-3">
          <h3 class="mb-2 text-xs font-semibold uppercase tracking-wide text-muted">Disks</h3>
          <ul class="space-y-2 text-xs">
            {latest.mounts.map((m) => (
              <li>
                <span class="flex justify-between gap-2 tabular-nums">
                  <span class="truncate font-medium" safe>
                    {m.mount}
                  </span>
                  <span class="text-muted" safe>
                    {`${formatBytes(m.used_bytes)} of ${formatBytes(m.total_bytes)} · ${m.percent.toFixed(0)} %`}
                  </span>
                </span>
                <ShareBar percent={m.percent} label={`${m.mount} ${m.percent.toFixed(0)} % used`} />
              </li>
            ))}
          </ul>
        </div>
      </div>
      <div class="grid gap-4 lg:grid-cols-2">
        <LineChart
          title="CPU, last 10 minutes"
          maxPoints={120}
          from={from}
          to={to}
          max={100}
          format={formatPercent}
          series={[{ label: 'busy', color: 'accent', points: series(points, (p) => p.cpu) }]}
        />
        <LineChart
          title="Memory, last 10 minutes"
          maxPoints={120}
          from={from}
          to={to}
          max={100}
          format={formatPercent}
          series={[
            { label: 'memory', color: 'accent', points: series(points, (p) => p.memory) },
            { label: 'swap', color: 'warn', points: series(points, (p) => p.swap) },
          ]}
        />
        <LineChart
          title="Network, last 10 minutes"
          maxPoints={120}
          from={from}
          to={to}
          format={formatRate}
          series={[
            { label: 'in', color: 'ok', points: series(points, (p) => p.netRx) },
            { label: 'out', color: 'accent', points: series(points, (p) => p.netTx) },
          ]}
        />
        <LineChart
          title="Disk I/O, last 10 minutes"
          maxPoints={120}
          from={from}
          to={to}
          format={formatRate}
          series={[
            { label: 'read', color: 'ok', points: series(points, (p) => p.diskRead) },
            { label: 'write', color: 'warn', points: series(points, (p) => p.diskWrite) },
          ]}
        />
      </div>
    </div>
  )
}

export const RANGES = {
  '1h': 3_600_000,
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
} as const
export type Range = keyof typeof RANGES

/** History charts for a range; the points come from raw samples, minutes or hours. */
export function HistoryCharts(props: { history: History; range: Range }) {
  const { points, since, until, step } = props.history
  const common = { from: since, to: until }
  return (
    <div class="space-y-3">
      <p class="text-xs text-muted" safe>
        {`${points.length} points at ${step === 'raw' ? 'sample' : step === 'minute' ? '1-minute' : '1-hour'} resolution`}
      </p>
      <div class="grid gap-4 lg:grid-cols-2">
        <LineChart
          title="CPU"
          {...common}
          max={100}
          format={formatPercent}
          series={[{ label: 'busy', color: 'accent', points: series(points, (p) => p.cpu) }]}
        />
        <LineChart
          title="Memory and disk"
          {...common}
          max={100}
          format={formatPercent}
          series={[
            { label: 'memory', color: 'accent', points: series(points, (p) => p.memory) },
            { label: 'fullest disk', color: 'danger', points: series(points, (p) => p.disk) },
            { label: 'swap', color: 'warn', points: series(points, (p) => p.swap) },
          ]}
        />
        <LineChart
          title="Load (1 min)"
          {...common}
          format={(v) => v.toFixed(2)}
          series={[{ label: 'load', color: 'accent', points: series(points, (p) => p.load1) }]}
        />
        <LineChart
          title="Network"
          {...common}
          format={formatRate}
          series={[
            { label: 'in', color: 'ok', points: series(points, (p) => p.netRx) },
            { label: 'out', color: 'accent', points: series(points, (p) => p.netTx) },
          ]}
        />
        <LineChart
          title="Disk I/O"
          {...common}
          format={formatRate}
          series={[
            { label: 'read', color: 'ok', points: series(points, (p) => p.diskRead) },
            { label: 'write', color: 'warn', points: series(points, (p) => p.diskWrite) },
          ]}
        />
      </div>
    </div>
  )
}

/** The inside of a server's dashboard card (the card element itself stays, so SSE swaps this). */
export function CardBody(props: { name: string; href: string | null; state: LiveState; now?: number }) {
  const { latest, points, status } = props.state
  const now = props.now ?? Date.now()
  const to = Math.max(now, latest ? Date.parse(latest.at) : now)
  const cpuLine = segments(
    series(points, (p) => p.cpu),
    to - LIVE_WINDOW_MS,
    to,
    100,
    60,
  )
  const disk = latest ? latest.mounts.reduce((max, m) => Math.max(max, m.percent), 0) : 0
  const shown = status ?? 'unknown'
  return (
    <>
      <div class="flex items-center justify-between gap-2">
        {props.href ? (
          <a
            class="link truncate font-medium"
            href={props.href}
            hx-get={props.href}
            hx-target="#main"
            hx-push-url="true"
            safe
          >
            {props.name}
          </a>
        ) : (
          <span class="truncate font-medium" safe>
            {props.name}
          </span>
        )}
        <span class={`badge badge-${shown}`}>{shown}</span>
      </div>
      {latest ? (
        <>
          <dl class="mt-3 grid grid-cols-4 gap-2 text-center text-xs">
            <div>
              <dt class="text-muted">CPU</dt>
              <dd class="font-semibold tabular-nums" safe>{`${latest.cpu_percent.toFixed(0)} %`}</dd>
            </div>
            <div>
              <dt class="text-muted">Mem</dt>
              <dd class="font-semibold tabular-nums" safe>{`${latest.memory.percent.toFixed(0)} %`}</dd>
            </div>
            <div>
              <dt class="text-muted">Disk</dt>
              <dd class="font-semibold tabular-nums" safe>{`${disk.toFixed(0)} %`}</dd>
            </div>
            <div>
              <dt class="text-muted">Load</dt>
              <dd class="font-semibold tabular-nums" safe>
                {latest.load[0].toFixed(2)}
              </dd>
            </div>
          </dl>
          <svg
            viewBox="0 0 600 120"
            preserveAspectRatio="none"
            class="mt-2 h-8 w-full"
            role="img"
            aria-label="CPU, last 10 minutes"
          >
            {cpuLine.map((line) => (
              <polyline
                points={line}
                fill="none"
                stroke="currentColor"
                stroke-width="1.5"
                vector-effect="non-scaling-stroke"
                class="text-accent"
              />
            ))}
          </svg>
          <p class="mt-1 text-[10px] text-muted" safe>
            {formatAge(Date.parse(latest.at), now)}
          </p>
        </>
      ) : (
        <p class="mt-3 text-xs text-muted">No sample yet.</p>
      )}
    </>
  )
}
