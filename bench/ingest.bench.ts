/**
 * The panel's cost of 2,000 agents pushing one sample every 5 s (400 samples/s).
 * Target (issue 4): ≤ 5 % of one core.
 *
 * Run for real, briefly: the panel (createApp behind Bun.serve, SQLite by default or
 * PostgreSQL with UNIPANEL_TEST_DATABASE_URL) with 2,000 servers, their agent tokens
 * and two fleet-wide alert rules; bench/agent-load.ts, a separate process, sends 400
 * real HTTP POSTs a second, each one sample from the next agent, for 20 s. The figure
 * is this process's CPU time over that window (HTTP, token check, validation, event,
 * alert rules, the batched writes), plus the roll-up of the minutes those samples
 * filled, measured after and spread over the minute it covers. (On PostgreSQL the
 * database server's own CPU is not in it.)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createApp } from '../src/app.ts'
import { createRule } from '../src/areas/alerts/repository.ts'
import { issueAgentToken } from '../src/areas/metrics/agent-tokens.ts'
import { ingestFor } from '../src/areas/metrics/ingest.ts'
import { insertServer } from '../src/areas/servers/repository.ts'
import { testDeps } from '../tests/helpers.ts'
import { report } from './report.ts'

const AGENTS = 2000
const RATE = AGENTS / 5
const SECONDS = 20
const WARMUP = 3

const deps = await testDeps({ UNIPANEL_OUTBOUND_ALLOW: '127.0.0.1/32' })
const dir = mkdtempSync(join(tmpdir(), 'unipanel-bench-ingest-'))
const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: createApp(deps).fetch })
try {
  const tokens: string[] = []
  for (let i = 0; i < AGENTS; i++) {
    const row = await insertServer(deps.database, {
      name: `agent-${i}`,
      host: `10.1.${i >> 8}.${i & 255}`,
      port: 22,
      user: 'root',
      tags: i % 2 ? ['web'] : ['db'],
      notes: '',
      hostKey: null,
    })
    tokens.push((await issueAgentToken(deps, row.id)).token)
  }
  const { db, t } = deps.database
  const [channel] = await db
    .insert(t.alertChannels)
    .values({ name: 'bench', kind: 'webhook', config: { url: 'http://127.0.0.1:9/' }, sealedSecrets: null })
    .returning()
  for (const rule of [
    { name: 'cpu', metric: 'cpu', op: '>' as const, threshold: 100 },
    { name: 'disk', metric: 'disk', op: '>' as const, threshold: 100 },
  ]) {
    await createRule(deps.database, {
      ...rule,
      forSeconds: 60,
      hysteresis: 1,
      serverId: null,
      tag: null,
      channelId: channel!.id,
      enabled: true,
    })
  }
  const tokenFile = join(dir, 'tokens')
  writeFileSync(tokenFile, tokens.join('\n'), { mode: 0o600 })

  const loader = Bun.spawn(
    [
      process.execPath,
      join(import.meta.dir, 'agent-load.ts'),
      `http://127.0.0.1:${server.port}`,
      tokenFile,
      String(RATE),
      String(SECONDS),
      String(WARMUP),
    ],
    { stdout: 'pipe', stderr: 'inherit' },
  )
  await Bun.sleep(WARMUP * 1000)
  const cpuStart = process.cpuUsage()
  const wallStart = performance.now()
  const acceptedStart = ingestFor(deps).accepted
  await Bun.sleep(SECONDS * 1000)
  const cpu = process.cpuUsage(cpuStart)
  const wall = (performance.now() - wallStart) / 1000
  const accepted = ingestFor(deps).accepted - acceptedStart
  const load = JSON.parse(await new Response(loader.stdout).text()) as {
    sent: number
    ok: number
    bad: number
  }
  await loader.exited

  const ingestCpu = (cpu.user + cpu.system) / 1e6
  const perSample = ingestCpu / accepted

  // Roll-ups: every minute that received samples, once it is over.
  await ingestFor(deps).flush()
  const rollStart = process.cpuUsage()
  const rolled = await ingestFor(deps).rollUp(Date.now() + 120_000)
  const rollCpu = (process.cpuUsage(rollStart).user + process.cpuUsage(rollStart).system) / 1e6
  const perServerMinute = rolled ? rollCpu / rolled : 0

  // 2,000 agents: 400 samples a second and 2,000 server-minutes to roll up a minute.
  const share = (perSample * RATE + (perServerMinute * AGENTS) / 60) * 100
  process.stdout.write(
    `${deps.database.dialect}: ${accepted} samples in ${wall.toFixed(1)} s (${(accepted / wall).toFixed(0)}/s; loader ok ${load.ok}, bad ${load.bad}); ` +
      `${(perSample * 1e6).toFixed(0)} µs CPU per sample; roll-up ${(perServerMinute * 1e3).toFixed(2)} ms per server-minute (${rolled} rolled)\n`,
  )
  if (load.bad > 0) process.stdout.write(`warning: ${load.bad} requests failed\n`)
  report(
    `2,000 agents at one sample per 5 s (${deps.database.dialect})`,
    Math.round(share * 100) / 100,
    '% of a core',
    {
      atMost: 5,
    },
  )
} finally {
  server.stop(true)
  await deps.dispose()
  rmSync(dir, { recursive: true, force: true })
}
