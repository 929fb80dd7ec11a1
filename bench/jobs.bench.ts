/**
 * The job runner with a real ansible-playbook on the local host (SQLite, temp data dir):
 * - overhead: a one-task play from enqueue to succeeded (median of 5), the floor
 *   under every host change;
 * - batch: 100 jobs of one kind for one server, joined into one play whose single
 *   task loops over them (the runner's share of "100 sites in 60 s"; the websites
 *   benchmark adds its own tasks per site).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { enqueueBatch, enqueueJob } from '../src/areas/jobs/enqueue.ts'
import { startJobRunner } from '../src/areas/jobs/runner.ts'
import { testDeps } from '../tests/helpers.ts'
import { fixtures, localServer, waitForJob } from '../tests/jobs/support.ts'
import { median, report } from './report.ts'

const deps = await testDeps()
const runner = await startJobRunner(deps, { concurrency: 2, pollMs: 200 })
const scratch = mkdtempSync(join(tmpdir(), 'unipanel-bench-jobs-'))
try {
  const server = await localServer(deps)
  const overhead: number[] = []
  for (let i = 0; i < 5; i++) {
    const started = performance.now()
    const job = await enqueueJob(deps, {
      kind: 'bench.echo',
      serverId: server.id,
      playbook: join(fixtures, 'echo.yml'),
      input: { message: `run ${i}` },
      requestedBy: null,
    })
    const done = await waitForJob(deps, job.id, { timeoutMs: 60_000 })
    if (done.state !== 'succeeded') throw new Error(`job ${job.id} ${done.state}: ${done.summary}`)
    overhead.push(performance.now() - started)
  }
  report('job: one-task play, enqueue to succeeded (median of 5)', Math.round(median(overhead)), 'ms', {
    atMost: 3000,
  })

  /** Queues 100 jobs for one server as a batch and answers the seconds until all succeeded in one play. */
  const batch = async (kind: string, playbook: string, input: (i: number) => Record<string, unknown>) => {
    const started = performance.now()
    const jobs = await enqueueBatch(
      deps,
      { kind, serverId: server.id, playbook: join(fixtures, playbook), requestedBy: null },
      Array.from({ length: 100 }, (_, i) => ({ input: input(i) })),
    )
    const done = await Promise.all(jobs.map((j) => waitForJob(deps, j.id, { timeoutMs: 300_000 })))
    const failed = done.filter((j) => j.state !== 'succeeded')
    if (failed.length) throw new Error(`${failed.length} batched jobs did not succeed: ${failed[0]!.summary}`)
    if (new Set(done.map((j) => j.batchId)).size !== 1) throw new Error('the batch ran as more than one play')
    return Number(((performance.now() - started) / 1000).toFixed(1))
  }
  const oneTask = await batch('bench.files', 'batch-files.yml', (i) => ({
    path: join(scratch, 'files', `site-${i}.conf`),
    content: `site ${i}\n`,
  }))
  report('job: 100 jobs as one play, one unipanel_files task', oneTask, 's', { atMost: 5 })
  const looped = await batch('bench.batch', 'batch.yml', (i) => ({ dir: scratch, content: `site ${i}` }))
  report('job: 100 jobs as one play, one task looping over them', looped, 's', { atMost: 60 })
} finally {
  await runner.stop()
  await deps.dispose()
  rmSync(scratch, { recursive: true, force: true })
}
