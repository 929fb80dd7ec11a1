import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import {
  emptyChunk,
  HOUR_MS,
  MINUTE_MS,
  readSlot,
  readSlots,
  writeSlot,
} from '../../src/areas/metrics/chunk.ts'
import { history, insertRaw, prune, type RawRow, rollUpMinute } from '../../src/areas/metrics/store.ts'
import { ensureLocalServer } from '../../src/areas/servers/repository.ts'
import { type TestDeps, testDeps } from '../helpers.ts'

let deps: TestDeps
let serverId: number

beforeAll(async () => {
  deps = await testDeps()
  serverId = (await ensureLocalServer(deps.database)).id
})
afterAll(() => deps.dispose())

const point = (cpu: number) => ({
  cpu,
  memory: 50.25,
  swap: 0,
  disk: 71.5,
  load1: 0.42,
  netRx: 1234.5,
  netTx: 99,
  diskRead: 4096,
  diskWrite: 8192,
})

describe('packed chunks', () => {
  test('a slot reads back what was written; empty slots read as null', () => {
    const chunk = emptyChunk(60)
    expect(chunk.length).toBe(60 * 28)
    writeSlot(chunk, 7, point(12.34))
    expect(readSlot(chunk, 6)).toBeNull()
    expect(readSlot(chunk, 7)).toEqual(point(12.34))
    expect(readSlots(chunk, 1_000_000, MINUTE_MS)).toEqual([
      { at: 1_000_000 + 7 * MINUTE_MS, ...point(12.34) },
    ])
    expect(() => writeSlot(chunk, 60, point(1))).toThrow(RangeError)
  })
})

describe('history', () => {
  // A fixed hour in the past: 10:00 UTC, yesterday.
  const hour = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 14 * HOUR_MS
  const rows: RawRow[] = []
  for (let m = 0; m < 3; m++) {
    for (let s = 0; s < 60; s += 5) {
      rows.push({
        serverId: 0,
        at: new Date(hour + m * MINUTE_MS + s * 1000),
        ...point(10 * (m + 1) + s / 55),
      })
    }
  }

  test('raw samples roll up into minutes and the hour, idempotently', async () => {
    const mine = rows.map((r) => ({ ...r, serverId }))
    await insertRaw(deps.database, mine)
    await insertRaw(deps.database, mine.slice(0, 5))
    const raw = await history(deps.database, serverId, 'raw', hour, hour + 3 * MINUTE_MS)
    expect(raw.length).toBe(36)
    expect(raw[0]!.at).toBe(hour)
    for (let m = 0; m < 3; m++)
      expect(await rollUpMinute(deps.database, serverId, hour + m * MINUTE_MS)).toBe(true)
    expect(await rollUpMinute(deps.database, serverId, hour + 10 * MINUTE_MS)).toBe(false)
    await rollUpMinute(deps.database, serverId, hour + MINUTE_MS)

    const minutes = await history(deps.database, serverId, 'minute', hour - HOUR_MS, hour + HOUR_MS)
    expect(minutes.map((p) => p.at)).toEqual([hour, hour + MINUTE_MS, hour + 2 * MINUTE_MS])
    expect(minutes.map((p) => Math.round(p.cpu))).toEqual([11, 21, 31])
    expect(minutes[0]!.memory).toBe(50.25)

    const hours = await history(deps.database, serverId, 'hour', hour - 2 * HOUR_MS, hour + 2 * HOUR_MS)
    expect(hours.length).toBe(1)
    expect(hours[0]!.at).toBe(hour)
    expect(Math.round(hours[0]!.cpu)).toBe(21)
    expect(hours[0]!.netRx).toBe(1234.5)
  })

  test('pruning drops raw rows and chunks past their retention', async () => {
    await prune(deps.database, [serverId], { raw: hour + MINUTE_MS, minute: hour + 2 * HOUR_MS, hour: 0 })
    expect((await history(deps.database, serverId, 'raw', hour, hour + 3 * MINUTE_MS)).length).toBe(24)
    expect((await history(deps.database, serverId, 'minute', hour - HOUR_MS, hour + HOUR_MS)).length).toBe(0)
    expect((await history(deps.database, serverId, 'hour', hour - HOUR_MS, hour + HOUR_MS)).length).toBe(1)
  })
})
