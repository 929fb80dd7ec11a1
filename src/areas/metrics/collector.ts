/**
 * Reads this host's numbers from /proc and statfs, with no child process: CPU (overall
 * and per core), load, memory and swap, disk use per mount, disk I/O, network rates,
 * uptime and the process count. Rates are measured between two calls, so the collector
 * keeps the previous counters. The panel runs it for its own host and `unipanel agent`
 * runs the very same code on a managed server; it imports nothing heavy (the agent's
 * memory budget is 35 MB).
 *
 * @example
 *   const collector = createCollector()
 *   await Bun.sleep(5000)
 *   const sample = collector.sample(5) // the wire format the agent pushes
 */
import { readdirSync, readFileSync, statfsSync } from 'node:fs'

/** One sample, in the snake_case wire format of the API and the agent. */
export type Sample = {
  /** ISO 8601 time the sample was taken. */
  at: string
  /** Seconds between this host's samples. */
  interval_seconds: number
  cpu_percent: number
  cpu_cores_percent: number[]
  /** 1, 5 and 15 minute load averages. */
  load: [number, number, number]
  memory: { total_bytes: number; used_bytes: number; available_bytes: number; percent: number }
  swap: { total_bytes: number; used_bytes: number; percent: number }
  mounts: Mount[]
  disk_read_bps: number
  disk_write_bps: number
  net_rx_bps: number
  net_tx_bps: number
  uptime_seconds: number
  processes: number
}

export type Mount = {
  mount: string
  fs_type: string
  total_bytes: number
  used_bytes: number
  /** Used share of the space a non-root user could have (as df shows it). */
  percent: number
}

/** Filesystems that hold no user data (or are memory), left out of disk use. */
const PSEUDO_FS = new Set([
  'proc',
  'sysfs',
  'devtmpfs',
  'devpts',
  'tmpfs',
  'ramfs',
  'cgroup',
  'cgroup2',
  'securityfs',
  'pstore',
  'debugfs',
  'tracefs',
  'configfs',
  'fusectl',
  'mqueue',
  'hugetlbfs',
  'bpf',
  'autofs',
  'binfmt_misc',
  'rpc_pipefs',
  'nsfs',
  'squashfs',
  'efivarfs',
  'fuse.lxcfs',
  'fuse.gvfsd-fuse',
  'fuse.portal',
  'overlay',
  'nfsd',
  'selinuxfs',
])

/** Whole-disk devices only: partitions, loop, RAM and device-mapper would count bytes twice. */
const SKIP_BLOCK = /^(loop|ram|zram|dm-|md|sr|fd|nbd)/

const round = (n: number, digits = 1) => {
  const f = 10 ** digits
  return Math.round(n * f) / f
}
const percent = (part: number, whole: number) => (whole > 0 ? round((part / whole) * 100) : 0)

type CpuTimes = { total: number; idle: number }

/** Each `cpu` line of /proc/stat: the first is the whole machine, then one per core. */
export function readCpuTimes(stat = readFileSync('/proc/stat', 'utf8')): CpuTimes[] {
  const times: CpuTimes[] = []
  for (const line of stat.split('\n')) {
    if (!line.startsWith('cpu')) continue
    const fields = line.trim().split(/\s+/).slice(1, 9).map(Number)
    // user nice system idle iowait irq softirq steal (guest time is already in user)
    const total = fields.reduce((a, b) => a + b, 0)
    times.push({ total, idle: (fields[3] ?? 0) + (fields[4] ?? 0) })
  }
  return times
}

function busyPercent(now: CpuTimes | undefined, before: CpuTimes | undefined): number {
  if (!now || !before) return 0
  const total = now.total - before.total
  if (total <= 0) return 0
  return Math.min(100, Math.max(0, round(((total - (now.idle - before.idle)) / total) * 100)))
}

/** /proc/meminfo as bytes by key. */
export function readMeminfo(text = readFileSync('/proc/meminfo', 'utf8')): Record<string, number> {
  const info: Record<string, number> = {}
  for (const line of text.split('\n')) {
    const match = /^(\w+(?:\(\w+\))?):\s+(\d+)(?:\s+kB)?/.exec(line)
    if (match) info[match[1]!] = Number(match[2]) * (line.endsWith('kB') ? 1024 : 1)
  }
  return info
}

/** The mounted filesystems that hold data, one per device (bind mounts left out). */
export function readMounts(text = readFileSync('/proc/self/mounts', 'utf8')): Mount[] {
  const seen = new Set<string>()
  const mounts: Mount[] = []
  for (const line of text.split('\n')) {
    const [device, rawMount, fsType] = line.split(' ')
    if (!device || !rawMount || !fsType) continue
    const mount = rawMount.replace(/\\(\d{3})/g, (_, oct: string) =>
      String.fromCharCode(Number.parseInt(oct, 8)),
    )
    if (mount !== '/' && (PSEUDO_FS.has(fsType) || !device.startsWith('/'))) continue
    if (mount.startsWith('/proc') || mount.startsWith('/sys') || mount.startsWith('/dev/')) continue
    const key = mount === '/' ? '/' : device
    if (seen.has(key)) continue
    try {
      const fs = statfsSync(mount)
      if (fs.blocks === 0) continue
      seen.add(key)
      const total = fs.blocks * fs.bsize
      const used = (fs.blocks - fs.bfree) * fs.bsize
      const available = fs.bavail * fs.bsize
      mounts.push({
        mount,
        fs_type: fsType,
        total_bytes: total,
        used_bytes: used,
        percent: percent(used, used + available),
      })
    } catch {
      // An unreadable mount (permissions, a stale network share) is left out.
    }
    if (mounts.length >= 32) break
  }
  return mounts
}

type IoCounters = { read: number; write: number }

function listBlockDevices(): Set<string> {
  try {
    return new Set(readdirSync('/sys/block').filter((name) => !SKIP_BLOCK.test(name)))
  } catch {
    return new Set()
  }
}

/** Bytes read and written by whole disks since boot (diskstats counts 512-byte sectors). */
export function readDiskIo(devices: Set<string>, text = readFileSync('/proc/diskstats', 'utf8')): IoCounters {
  let read = 0
  let write = 0
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/)
    if (f.length < 10 || !devices.has(f[2]!)) continue
    read += Number(f[5]) * 512
    write += Number(f[9]) * 512
  }
  return { read, write }
}

/** Bytes received and sent by every interface but loopback since boot. */
export function readNetIo(text = readFileSync('/proc/net/dev', 'utf8')): IoCounters {
  let read = 0
  let write = 0
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':')
    if (colon < 0) continue
    if (line.slice(0, colon).trim() === 'lo') continue
    const f = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
    read += Number(f[0])
    write += Number(f[8])
  }
  return { read, write }
}

export function countProcesses(): number {
  let n = 0
  for (const name of readdirSync('/proc')) {
    const c = name.charCodeAt(0)
    if (c >= 48 && c <= 57) n++
  }
  return n
}

export type Collector = {
  /** A sample of the time since the previous call (or since the collector was made). */
  sample(intervalSeconds: number): Sample
}

export function createCollector(): Collector {
  let devices = listBlockDevices()
  let devicesRead = Date.now()
  let cpu = readCpuTimes()
  let disk = readDiskIo(devices)
  let net = readNetIo()
  let last = performance.now()

  return {
    sample(intervalSeconds) {
      const now = performance.now()
      const seconds = Math.max((now - last) / 1000, 0.001)
      last = now
      if (Date.now() - devicesRead > 300_000) {
        devices = listBlockDevices()
        devicesRead = Date.now()
      }
      const cpuNow = readCpuTimes()
      const diskNow = readDiskIo(devices)
      const netNow = readNetIo()
      const rate = (a: number, b: number) => Math.max(0, Math.round((a - b) / seconds))
      const mem = readMeminfo()
      const loadFields = readFileSync('/proc/loadavg', 'utf8').split(' ').map(Number)
      const memTotal = mem.MemTotal ?? 0
      const memAvailable = mem.MemAvailable ?? mem.MemFree ?? 0
      const swapTotal = mem.SwapTotal ?? 0
      const swapUsed = swapTotal - (mem.SwapFree ?? 0)
      const sample: Sample = {
        at: new Date().toISOString(),
        interval_seconds: intervalSeconds,
        cpu_percent: busyPercent(cpuNow[0], cpu[0]),
        cpu_cores_percent: cpuNow.slice(1).map((core, i) => busyPercent(core, cpu[i + 1])),
        load: [loadFields[0] ?? 0, loadFields[1] ?? 0, loadFields[2] ?? 0],
        memory: {
          total_bytes: memTotal,
          used_bytes: memTotal - memAvailable,
          available_bytes: memAvailable,
          percent: percent(memTotal - memAvailable, memTotal),
        },
        swap: { total_bytes: swapTotal, used_bytes: swapUsed, percent: percent(swapUsed, swapTotal) },
        mounts: readMounts(),
        disk_read_bps: rate(diskNow.read, disk.read),
        disk_write_bps: rate(diskNow.write, disk.write),
        net_rx_bps: rate(netNow.read, net.read),
        net_tx_bps: rate(netNow.write, net.write),
        uptime_seconds: Math.floor(Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0])),
        processes: countProcesses(),
      }
      cpu = cpuNow
      disk = diskNow
      net = netNow
      return sample
    },
  }
}
