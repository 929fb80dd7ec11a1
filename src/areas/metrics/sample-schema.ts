/** The zod schema of what an agent pushes: a batch of samples in the collector's wire format. */
import { z } from 'zod'
import { line } from '../../lib/grammar.ts'

const amount = z.number().finite().min(0)
const percent = z.number().finite().min(0).max(100)

export const sampleSchema = z
  .object({
    at: z.iso.datetime({ offset: true }),
    interval_seconds: z.number().int().min(1).max(3600),
    cpu_percent: percent,
    cpu_cores_percent: z.array(percent).max(1024),
    load: z.tuple([amount, amount, amount]),
    memory: z.object({ total_bytes: amount, used_bytes: amount, available_bytes: amount, percent }).strict(),
    swap: z.object({ total_bytes: amount, used_bytes: amount, percent }).strict(),
    mounts: z
      .array(
        z
          .object({
            mount: line(1024).min(1),
            fs_type: line(64),
            total_bytes: amount,
            used_bytes: amount,
            percent,
          })
          .strict(),
      )
      .max(64),
    disk_read_bps: amount,
    disk_write_bps: amount,
    net_rx_bps: amount,
    net_tx_bps: amount,
    uptime_seconds: amount,
    processes: z.number().int().min(0).max(10_000_000),
  })
  .strict()

export const MAX_BATCH = 1000

export const samplesBody = z.object({ samples: z.array(sampleSchema).min(1).max(MAX_BATCH) }).strict()
