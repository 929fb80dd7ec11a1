/**
 * GET /metrics in the Prometheus text format (0.0.4): this panel process's own numbers
 * and the last sample of every server. It sits outside /api/v1 but takes the same
 * bearer API token (read scope is enough); the fleet's numbers are an admin's to read.
 */
import { Hono } from 'hono'
import pkg from '../../../package.json' with { type: 'json' }
import { requireApiToken } from '../../auth/middleware.ts'
import type { AppEnv } from '../../lib/env.ts'
import { AppError } from '../../lib/errors.ts'
import { alertEngine } from '../alerts/engine.ts'
import { feedsFor } from './feeds.ts'
import { ingestFor } from './ingest.ts'
import { allLatest } from './store.ts'

export const prometheus = new Hono<AppEnv>()

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')

/** Samples grouped by metric family, as the format requires, whatever order they come in. */
class Exposition {
  private families = new Map<string, string[]>()

  metric(
    name: string,
    type: 'gauge' | 'counter',
    help: string,
    value: number,
    labels: Record<string, string> = {},
  ) {
    if (!Number.isFinite(value)) return
    let lines = this.families.get(name)
    if (!lines) {
      lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`]
      this.families.set(name, lines)
    }
    const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    lines.push(`${name}${pairs.length ? `{${pairs.join(',')}}` : ''} ${value}`)
  }

  text() {
    return `${[...this.families.values()].flat().join('\n')}\n`
  }
}

prometheus.get('/', requireApiToken, async (c) => {
  if (c.var.user?.role !== 'admin')
    throw new AppError('forbidden', 'only an admin’s token may read the fleet’s metrics')
  const deps = c.var.deps
  const out = new Exposition()
  const usage = process.cpuUsage()
  const memory = process.memoryUsage()
  out.metric('unipanel_info', 'gauge', 'Panel version and database.', 1, {
    version: pkg.version,
    database: deps.database.dialect,
  })
  out.metric(
    'unipanel_process_cpu_seconds_total',
    'counter',
    'CPU time of this panel process.',
    (usage.user + usage.system) / 1e6,
  )
  out.metric(
    'unipanel_process_resident_memory_bytes',
    'gauge',
    'Resident memory of this panel process.',
    memory.rss,
  )
  out.metric('unipanel_process_heap_bytes', 'gauge', 'JavaScript heap in use.', memory.heapUsed)
  out.metric(
    'unipanel_process_start_time_seconds',
    'gauge',
    'When this panel process started.',
    deps.startedAt.getTime() / 1000,
  )
  out.metric(
    'unipanel_samples_ingested_total',
    'counter',
    'Metric samples taken in by this process.',
    ingestFor(deps).accepted,
  )
  out.metric(
    'unipanel_live_viewers',
    'gauge',
    'Live (SSE) viewers of server metrics on this process.',
    feedsFor(deps).viewers(),
  )
  out.metric(
    'unipanel_event_listeners',
    'gauge',
    'Event subscriptions held by this process.',
    deps.events.listenerCount(),
  )
  out.metric(
    'unipanel_alerts_firing',
    'gauge',
    'Alerts firing, as this process knows them.',
    alertEngine(deps).firing(),
  )

  const { db, t } = deps.database
  const servers = await db
    .select({ id: t.servers.id, name: t.servers.name, status: t.servers.status })
    .from(t.servers)
  const byId = new Map(servers.map((s) => [s.id, s]))
  for (const server of servers) {
    out.metric(
      'unipanel_server_up',
      'gauge',
      '1 when the server is online.',
      server.status === 'online' ? 1 : 0,
      {
        server: server.name,
      },
    )
  }
  for (const row of await allLatest(deps.database)) {
    const server = byId.get(row.serverId)
    if (!server) continue
    const l = { server: server.name }
    const s = row.sample
    out.metric(
      'unipanel_server_last_sample_timestamp_seconds',
      'gauge',
      'Time of the last sample.',
      row.at.getTime() / 1000,
      l,
    )
    out.metric('unipanel_server_cpu_percent', 'gauge', 'CPU busy, all cores.', s.cpu_percent, l)
    for (const [core, value] of s.cpu_cores_percent.entries()) {
      out.metric('unipanel_server_cpu_core_percent', 'gauge', 'CPU busy per core.', value, {
        ...l,
        core: String(core),
      })
    }
    out.metric('unipanel_server_load1', 'gauge', 'Load average over 1 minute.', s.load[0], l)
    out.metric('unipanel_server_load5', 'gauge', 'Load average over 5 minutes.', s.load[1], l)
    out.metric('unipanel_server_load15', 'gauge', 'Load average over 15 minutes.', s.load[2], l)
    out.metric('unipanel_server_memory_total_bytes', 'gauge', 'Memory.', s.memory.total_bytes, l)
    out.metric(
      'unipanel_server_memory_used_bytes',
      'gauge',
      'Memory in use (total minus available).',
      s.memory.used_bytes,
      l,
    )
    out.metric('unipanel_server_swap_total_bytes', 'gauge', 'Swap.', s.swap.total_bytes, l)
    out.metric('unipanel_server_swap_used_bytes', 'gauge', 'Swap in use.', s.swap.used_bytes, l)
    for (const mount of s.mounts) {
      const m = { ...l, mount: mount.mount, fstype: mount.fs_type }
      out.metric('unipanel_server_filesystem_size_bytes', 'gauge', 'Filesystem size.', mount.total_bytes, m)
      out.metric(
        'unipanel_server_filesystem_used_bytes',
        'gauge',
        'Filesystem space used.',
        mount.used_bytes,
        m,
      )
    }
    out.metric('unipanel_server_disk_read_bytes_per_second', 'gauge', 'Disk reads.', s.disk_read_bps, l)
    out.metric('unipanel_server_disk_written_bytes_per_second', 'gauge', 'Disk writes.', s.disk_write_bps, l)
    out.metric(
      'unipanel_server_network_receive_bytes_per_second',
      'gauge',
      'Network in (all but loopback).',
      s.net_rx_bps,
      l,
    )
    out.metric(
      'unipanel_server_network_transmit_bytes_per_second',
      'gauge',
      'Network out (all but loopback).',
      s.net_tx_bps,
      l,
    )
    out.metric('unipanel_server_uptime_seconds', 'gauge', 'Time since boot.', s.uptime_seconds, l)
    out.metric('unipanel_server_processes', 'gauge', 'Processes.', s.processes, l)
  }
  return c.body(out.text(), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
})
