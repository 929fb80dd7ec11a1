/**
 * Test support for jobs: waiting for a job to end, the local server row, spare
 * "servers" that are the local host under another name (so jobs can run side by side
 * without sharing a lock), and the fixtures folder.
 */
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import type { Job } from '../../src/areas/jobs/model.ts'
import { findJob } from '../../src/areas/jobs/repository.ts'
import type { Server } from '../../src/areas/servers/repository.ts'
import type { Deps } from '../../src/deps.ts'

export const fixtures = join(import.meta.dir, '../fixtures')

/** Polls until the job is finished (or `states` is reached); throws after `timeoutMs`. */
export async function waitForJob(
  deps: Pick<Deps, 'database'>,
  id: number,
  options: { timeoutMs?: number; states?: Job['state'][] } = {},
): Promise<Job> {
  const states = options.states ?? ['succeeded', 'failed', 'cancelled', 'interrupted']
  const deadline = Date.now() + (options.timeoutMs ?? 30_000)
  let job: Job | null = null
  while (Date.now() < deadline) {
    job = await findJob(deps.database, id)
    if (job && states.includes(job.state)) return job
    await Bun.sleep(50)
  }
  throw new Error(
    `job ${id} did not reach ${states.join('/')} in time (state ${job?.state}, ${job?.summary})`,
  )
}

export async function localServer(deps: Pick<Deps, 'database'>): Promise<Server> {
  const { db, t } = deps.database
  const [row] = await db.select().from(t.servers).where(eq(t.servers.connection, 'local')).limit(1)
  return row!
}

/** More servers that are this host, so that jobs on them do not wait for each other's lock. */
export async function extraLocalServers(
  deps: Pick<Deps, 'database'>,
  n: number,
  prefix = 'spare',
): Promise<Server[]> {
  const { db, t } = deps.database
  return db
    .insert(t.servers)
    .values(
      Array.from({ length: n }, (_, i) => ({
        name: `${prefix}-${i + 1}`,
        host: '127.0.0.1',
        connection: 'local' as const,
      })),
    )
    .returning()
}

export async function addServer(
  deps: Pick<Deps, 'database'>,
  values: Partial<Server> & { name: string; host: string },
) {
  const { db, t } = deps.database
  const [row] = await db
    .insert(t.servers)
    .values({ connection: 'ssh', ...values })
    .returning()
  return row!
}
