/** @jsxImportSource @kitajs/html */
/**
 * Server-rendered SVG line charts: no script, no inline style (the CSP allows neither) —
 * geometry in SVG attributes, colours from the theme through Tailwind classes and
 * `currentColor`. A gap in the data (a server that was off) breaks the line instead of
 * drawing a slope across it.
 *
 * @example
 *   <LineChart title="CPU" max={100} format={formatPercent} from={since} to={now}
 *     series={[{ label: 'busy', color: 'accent', points }]} />
 */

export type ChartPoint = { at: number; value: number }
export type ChartSeries = { label: string; color: 'accent' | 'ok' | 'warn' | 'danger'; points: ChartPoint[] }

const COLOR = { accent: 'text-accent', ok: 'text-ok', warn: 'text-warn', danger: 'text-danger' } as const
const W = 600
const H = 120

/** A round number at or above `value`, for the top of the scale. */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1
  const magnitude = 10 ** Math.floor(Math.log10(value))
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= value) return step * magnitude
  return 10 * magnitude
}

/**
 * At most `max` points, each the mean of its share of the time range: a chart a few
 * hundred pixels wide gains nothing from more, and every live message carries them.
 */
export function thin(points: ChartPoint[], from: number, to: number, max: number): ChartPoint[] {
  if (points.length <= max || to <= from) return points
  const width = (to - from) / max
  const out: ChartPoint[] = []
  let bucket = -1
  let sumAt = 0
  let sum = 0
  let n = 0
  for (const p of points) {
    const b = Math.floor((p.at - from) / width)
    if (b !== bucket && n > 0) {
      out.push({ at: sumAt / n, value: sum / n })
      sumAt = 0
      sum = 0
      n = 0
    }
    bucket = b
    sumAt += p.at
    sum += p.value
    n++
  }
  if (n > 0) out.push({ at: sumAt / n, value: sum / n })
  return out
}

/** Polyline point lists, split where the data has a gap. */
export function segments(all: ChartPoint[], from: number, to: number, max: number, most = 300): string[] {
  if (all.length === 0 || to <= from) return []
  const points = thin(all, from, to, most)
  const steps = points
    .slice(1)
    .map((p, i) => p.at - points[i]!.at)
    .sort((a, b) => a - b)
  const typical = steps.length ? steps[Math.floor(steps.length / 2)]! : to - from
  const x = (at: number) => (((at - from) / (to - from)) * W).toFixed(1)
  const y = (v: number) => (H - (Math.min(Math.max(v, 0), max) / max) * H).toFixed(1)
  const out: string[] = []
  let current: string[] = []
  let last: number | null = null
  for (const p of points) {
    if (p.at < from || p.at > to) continue
    if (last !== null && p.at - last > typical * 3) {
      if (current.length) out.push(current.join(' '))
      current = []
    }
    current.push(`${x(p.at)},${y(p.value)}`)
    last = p.at
  }
  if (current.length) out.push(current.join(' '))
  // A lone point is drawn as a short flat line so it stays visible.
  return out.map((s) =>
    s.includes(' ') ? s : `${s} ${(Number(s.split(',')[0]) + 2).toFixed(1)},${s.split(',')[1]}`,
  )
}

function timeLabel(at: number, span: number): string {
  const iso = new Date(at).toISOString()
  return span > 36 * 3_600_000 ? iso.slice(5, 10) : iso.slice(11, 16)
}

export function LineChart(props: {
  title: string
  series: ChartSeries[]
  from: number
  to: number
  /** Fixed top of the scale (100 for percentages); otherwise from the data. */
  max?: number
  format: (value: number) => string
  /** Points drawn per series at most (each the mean of its share of the range). */
  maxPoints?: number
}) {
  const highest = Math.max(0, ...props.series.flatMap((s) => s.points.map((p) => p.value)))
  const max = props.max ?? niceMax(highest * 1.1)
  const empty = props.series.every((s) => s.points.length === 0)
  return (
    <figure class="card p-3">
      <figcaption class="mb-2 flex flex-wrap items-baseline justify-between gap-2 text-sm">
        <span class="font-medium" safe>
          {props.title}
        </span>
        <span class="flex flex-wrap gap-3 text-xs text-muted">
          {props.series.map((s) => {
            const last = s.points.at(-1)
            return (
              <span class={`inline-flex items-center gap-1 ${COLOR[s.color]}`}>
                <svg class="size-2" viewBox="0 0 2 2" aria-hidden="true">
                  <circle cx="1" cy="1" r="1" fill="currentColor" />
                </svg>
                <span class="text-muted" safe>
                  {`${s.label} ${last ? props.format(last.value) : '—'}`}
                </span>
              </span>
            )
          })}
        </span>
      </figcaption>
      <div class="relative">
        <svg
          viewBox={`0 0 ${W} ${H}`}
          preserveAspectRatio="none"
          class="h-28 w-full overflow-visible"
          role="img"
          aria-label={`${props.title}: ${empty ? 'no data' : `up to ${props.format(highest)}`}`}
        >
          {[0, 0.25, 0.5, 0.75, 1].map((f) => (
            <line
              x1="0"
              x2={String(W)}
              y1={String(H * f)}
              y2={String(H * f)}
              class="stroke-line"
              stroke-width="1"
              vector-effect="non-scaling-stroke"
            />
          ))}
          {props.series.map((s) =>
            segments(s.points, props.from, props.to, max, props.maxPoints ?? 240).map((points) => (
              <polyline
                points={points}
                fill="none"
                stroke="currentColor"
                stroke-width="1.5"
                stroke-linejoin="round"
                vector-effect="non-scaling-stroke"
                class={COLOR[s.color]}
              />
            )),
          )}
        </svg>
        <span class="pointer-events-none absolute start-1 top-0 text-[10px] text-muted" safe>
          {props.format(max)}
        </span>
        {empty ? (
          <span class="absolute inset-0 flex items-center justify-center text-xs text-muted">
            no data yet
          </span>
        ) : (
          ''
        )}
      </div>
      <div class="mt-1 flex justify-between text-[10px] text-muted">
        <span safe>{timeLabel(props.from, props.to - props.from)}</span>
        <span safe>{`${timeLabel(props.to, props.to - props.from)} UTC`}</span>
      </div>
    </figure>
  )
}

/** A horizontal bar for a share (0–100), drawn in SVG so it needs no style attribute. */
export function ShareBar(props: { percent: number; label: string }) {
  const p = Math.min(100, Math.max(0, props.percent))
  const tone = p >= 90 ? 'fill-danger' : p >= 75 ? 'fill-warn' : 'fill-accent'
  return (
    <svg
      viewBox="0 0 100 4"
      preserveAspectRatio="none"
      class="h-1.5 w-full"
      role="img"
      aria-label={props.label}
    >
      <rect x="0" y="0" width="100" height="4" rx="2" class="fill-surface-2" />
      <rect x="0" y="0" width={p.toFixed(1)} height="4" rx="2" class={tone} />
    </svg>
  )
}
