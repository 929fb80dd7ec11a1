/** @jsxImportSource @kitajs/html */
import { describe, expect, test } from 'bun:test'
import { LineChart, niceMax, segments, thin } from './charts.tsx'

const series = (n: number, step = 1000, from = 0) =>
  Array.from({ length: n }, (_, i) => ({ at: from + i * step, value: i % 100 }))

describe('charts', () => {
  test('thin keeps at most the asked number of points, averaging each share of the range', () => {
    const points = series(600)
    const thinned = thin(points, 0, 600_000, 60)
    expect(thinned.length).toBeLessThanOrEqual(60)
    expect(thinned[0]).toEqual({ at: 4500, value: 4.5 })
    expect(thin(points.slice(0, 10), 0, 600_000, 60)).toHaveLength(10)
  })

  test('a gap in the data splits the line', () => {
    const points = [...series(10), ...series(10, 1000, 60_000)]
    expect(segments(points, 0, 70_000, 100)).toHaveLength(2)
    expect(segments(series(10), 0, 10_000, 100)).toHaveLength(1)
  })

  test('scales to a round maximum and renders without inline style', () => {
    expect(niceMax(83)).toBe(100)
    expect(niceMax(1300)).toBe(2000)
    const html = String(
      <LineChart
        title="CPU"
        from={0}
        to={600000}
        max={100}
        format={(v) => `${v} %`}
        series={[{ label: 'busy', color: 'accent', points: series(600) }]}
      />,
    )
    expect(html).toContain('<polyline')
    expect(html).not.toContain('style=')
    const points = /points="([^"]+)"/.exec(html)![1]!.split(' ')
    expect(points.length).toBeLessThanOrEqual(300)
  })
})
