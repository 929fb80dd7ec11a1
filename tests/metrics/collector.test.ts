import { describe, expect, test } from 'bun:test'
import { readdirSync, readFileSync, statfsSync } from 'node:fs'
import { cpus } from 'node:os'
import { createCollector, readCpuTimes, readMeminfo } from '../../src/areas/metrics/collector.ts'
import { observeSpawns } from '../../src/lib/spawn.ts'

const meminfoKb = (key: string) =>
  Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/meminfo', 'utf8'))![1]) * 1024

describe('the local collector', () => {
  test('reports what /proc and statfs report', async () => {
    const spawned: string[][] = []
    const stop = observeSpawns((argv) => spawned.push([...argv]))
    const collector = createCollector()
    // Some work so that the CPU counters move between the two readings.
    const until = performance.now() + 300
    while (performance.now() < until) Math.sqrt(Math.random())
    const sample = collector.sample(5)
    stop()

    expect(spawned).toEqual([])
    expect(sample.interval_seconds).toBe(5)
    expect(Math.abs(Date.parse(sample.at) - Date.now())).toBeLessThan(2000)

    // CPU: one figure per core, the same cores /proc/stat and the OS list.
    const coreLines = readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .filter((l) => /^cpu\d+ /.test(l))
    expect(sample.cpu_cores_percent.length).toBe(coreLines.length)
    expect(sample.cpu_cores_percent.length).toBe(cpus().length)
    expect(sample.cpu_percent).toBeGreaterThan(0)
    expect(sample.cpu_percent).toBeLessThanOrEqual(100)
    for (const core of sample.cpu_cores_percent) {
      expect(core).toBeGreaterThanOrEqual(0)
      expect(core).toBeLessThanOrEqual(100)
    }

    // Load: /proc/loadavg, which moves slowly.
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number)
    for (const [i, value] of load.entries()) expect(Math.abs(sample.load[i]! - value)).toBeLessThan(0.5)

    // Memory and swap: /proc/meminfo in bytes.
    expect(sample.memory.total_bytes).toBe(meminfoKb('MemTotal'))
    expect(sample.swap.total_bytes).toBe(meminfoKb('SwapTotal'))
    const used = meminfoKb('MemTotal') - meminfoKb('MemAvailable')
    expect(Math.abs(sample.memory.used_bytes - used)).toBeLessThan(256 * 1024 * 1024)
    expect(sample.memory.percent).toBeCloseTo((sample.memory.used_bytes / sample.memory.total_bytes) * 100, 0)

    // Disk use: the root mount as statfs sees it.
    const root = sample.mounts.find((m) => m.mount === '/')
    expect(root).toBeDefined()
    const fs = statfsSync('/')
    expect(root!.total_bytes).toBe(fs.blocks * fs.bsize)
    expect(Math.abs(root!.used_bytes - (fs.blocks - fs.bfree) * fs.bsize)).toBeLessThan(64 * 1024 * 1024)
    const dfPercent =
      (((fs.blocks - fs.bfree) * fs.bsize) / ((fs.blocks - fs.bfree) * fs.bsize + fs.bavail * fs.bsize)) * 100
    expect(Math.abs(root!.percent - dfPercent)).toBeLessThan(1)
    expect(sample.mounts.some((m) => m.fs_type === 'proc' || m.mount.startsWith('/proc'))).toBe(false)

    // Uptime and processes.
    const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0])
    expect(Math.abs(sample.uptime_seconds - uptime)).toBeLessThan(3)
    const processes = readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length
    expect(Math.abs(sample.processes - processes)).toBeLessThan(30)
    expect(sample.processes).toBeGreaterThan(1)

    for (const rate of [sample.disk_read_bps, sample.disk_write_bps, sample.net_rx_bps, sample.net_tx_bps]) {
      expect(Number.isFinite(rate)).toBe(true)
      expect(rate).toBeGreaterThanOrEqual(0)
    }
  })

  test('network rates follow the /proc/net/dev counters between two samples', async () => {
    const read = () => {
      let rx = 0
      for (const line of readFileSync('/proc/net/dev', 'utf8').split('\n').slice(2)) {
        const [name, rest] = line.split(':')
        if (!rest || name!.trim() === 'lo') continue
        rx += Number(rest.trim().split(/\s+/)[0])
      }
      return rx
    }
    const collector = createCollector()
    const before = read()
    const started = performance.now()
    await Bun.sleep(1000)
    const after = read()
    const sample = collector.sample(1)
    const seconds = (performance.now() - started) / 1000
    const expected = (after - before) / seconds
    // The two readings are a few microseconds apart; allow for traffic in between.
    expect(Math.abs(sample.net_rx_bps - expected)).toBeLessThanOrEqual(Math.max(64 * 1024, expected * 0.2))
  })

  test('CPU percent is the busy share of the jiffies between readings', () => {
    const before = readCpuTimes('cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 100 0 100 800 0 0 0 0 0 0\n')
    const after = readCpuTimes('cpu  200 0 200 1400 200 0 0 0 0 0\ncpu0 200 0 200 1400 200 0 0 0 0 0\n')
    expect(after[0]!.total - before[0]!.total).toBe(1000)
    expect(after[0]!.idle - before[0]!.idle).toBe(800)
    expect(readMeminfo('MemTotal:  1000 kB\nHugePages_Total:  4\n')).toEqual({
      MemTotal: 1024000,
      HugePages_Total: 4,
    })
  })
})
