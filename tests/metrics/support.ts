/** Test support for metrics: samples with chosen numbers, and pushing them like an agent. */
import type { Sample } from '../../src/areas/metrics/collector.ts'
import { PUBLIC_URL } from '../helpers.ts'

export function makeSample(overrides: Partial<Sample> = {}, at = new Date()): Sample {
  return {
    at: at.toISOString(),
    interval_seconds: 5,
    cpu_percent: 12.5,
    cpu_cores_percent: [10, 15],
    load: [0.5, 0.4, 0.3],
    memory: { total_bytes: 8e9, used_bytes: 2e9, available_bytes: 6e9, percent: 25 },
    swap: { total_bytes: 0, used_bytes: 0, percent: 0 },
    mounts: [{ mount: '/', fs_type: 'ext4', total_bytes: 100e9, used_bytes: 40e9, percent: 40 }],
    disk_read_bps: 1000,
    disk_write_bps: 2000,
    net_rx_bps: 3000,
    net_tx_bps: 4000,
    uptime_seconds: 3600,
    processes: 120,
    ...overrides,
  }
}

/** POSTs samples to the ingest endpoint of an app (app.request) with an agent token. */
export function pushSamples(
  app: { request: (url: string, init: RequestInit) => Response | Promise<Response> },
  token: string,
  samples: unknown[],
) {
  return Promise.resolve(
    app.request(`${PUBLIC_URL}/api/v1/agent/samples`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ samples }),
    }),
  )
}
