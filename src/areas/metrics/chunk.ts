/**
 * The packed roll-up format: a chunk is a fixed number of slots (60 minutes of an hour,
 * or 24 hours of a day), each 28 bytes — the four percentages as hundredths in uint16,
 * load and the four byte rates as float32 — so that a server's month fits in a few
 * hundred small rows and writing one slot twice gives the same chunk.
 *
 * @example
 *   const chunk = emptyChunk(60)
 *   writeSlot(chunk, 5, point)
 *   readSlots(chunk, hourStart, 60_000) // [{ at, cpu, … }] for the filled slots
 */

/** The headline numbers of a sample: what history keeps and alerts compare. */
export type Point = {
  cpu: number
  memory: number
  swap: number
  disk: number
  load1: number
  netRx: number
  netTx: number
  diskRead: number
  diskWrite: number
}

export type TimedPoint = Point & { at: number }

export const POINT_FIELDS = [
  'cpu',
  'memory',
  'swap',
  'disk',
  'load1',
  'netRx',
  'netTx',
  'diskRead',
  'diskWrite',
] as const satisfies readonly (keyof Point)[]

const SLOT_BYTES = 28
const EMPTY = 0xffff
const PERCENTS = ['cpu', 'memory', 'swap', 'disk'] as const
const FLOATS = ['load1', 'netRx', 'netTx', 'diskRead', 'diskWrite'] as const

export const MINUTE_MS = 60_000
export const HOUR_MS = 3_600_000
export const DAY_MS = 86_400_000

export function emptyChunk(slots: number): Buffer {
  const chunk = Buffer.alloc(slots * SLOT_BYTES)
  for (let i = 0; i < slots; i++) chunk.writeUInt16LE(EMPTY, i * SLOT_BYTES)
  return chunk
}

export function writeSlot(chunk: Buffer, slot: number, point: Point): void {
  const at = slot * SLOT_BYTES
  if (slot < 0 || at + SLOT_BYTES > chunk.length) throw new RangeError(`slot ${slot} is outside the chunk`)
  for (const [i, key] of PERCENTS.entries()) {
    chunk.writeUInt16LE(Math.min(10000, Math.max(0, Math.round(point[key] * 100))), at + i * 2)
  }
  for (const [i, key] of FLOATS.entries()) chunk.writeFloatLE(point[key], at + 8 + i * 4)
}

export function readSlot(chunk: Buffer, slot: number): Point | null {
  const at = slot * SLOT_BYTES
  if (at + SLOT_BYTES > chunk.length || chunk.readUInt16LE(at) === EMPTY) return null
  const point = {} as Point
  for (const [i, key] of PERCENTS.entries()) point[key] = chunk.readUInt16LE(at + i * 2) / 100
  for (const [i, key] of FLOATS.entries())
    point[key] = Math.round(chunk.readFloatLE(at + 8 + i * 4) * 100) / 100
  return point
}

/** The filled slots of a chunk that starts at `startAt` with slots `slotMs` apart. */
export function readSlots(chunk: Buffer, startAt: number, slotMs: number): TimedPoint[] {
  const points: TimedPoint[] = []
  for (let slot = 0; slot * SLOT_BYTES < chunk.length; slot++) {
    const point = readSlot(chunk, slot)
    if (point) points.push({ at: startAt + slot * slotMs, ...point })
  }
  return points
}

/** The mean of some points, field by field (null for none). */
export function averagePoints(points: readonly Point[]): Point | null {
  if (points.length === 0) return null
  const sum = Object.fromEntries(POINT_FIELDS.map((k) => [k, 0])) as Point
  for (const point of points) for (const key of POINT_FIELDS) sum[key] += point[key]
  for (const key of POINT_FIELDS) sum[key] /= points.length
  return sum
}

export const floorTo = (ms: number, unit: number) => Math.floor(ms / unit) * unit
