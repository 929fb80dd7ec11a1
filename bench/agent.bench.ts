/**
 * `unipanel agent` at one sample per 5 s: resident memory and CPU.
 * Targets (issue 4): ≤ 35 MB RSS and ≤ 0.2 % of one core.
 *
 * Real agents (`bun src/main.ts agent --interval 5`) push to a real panel on a loopback
 * port for 60 s, measured after their start-up: one as it comes, one with Bun's JIT off
 * (BUN_JSC_useJIT=0), which an agent doing a few milliseconds of work every 5 s does not
 * need; and, when dist/unipanel is built, the compiled binary both ways too. CPU is every thread's time from /proc/PID/task/<tid>/schedstat;
 * memory is VmRSS at the end, split into private (RssAnon) and the Bun executable's
 * shared, file-backed pages (RssFile).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import { createApp } from '../src/app.ts'
import { issueAgentToken } from '../src/areas/metrics/agent-tokens.ts'
import { insertServer } from '../src/areas/servers/repository.ts'
import { testDeps } from '../tests/helpers.ts'
import { report } from './report.ts'

const MEASURE_S = 60
const STARTUP_S = 8
const root = join(import.meta.dir, '..')

const cpuNs = (pid: number) =>
  readdirSync(`/proc/${pid}/task`).reduce((sum, tid) => {
    try {
      return sum + Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0])
    } catch {
      return sum
    }
  }, 0)
const status = (pid: number) => {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0)
  return {
    rss: kb('VmRSS') / 1024,
    anon: kb('RssAnon') / 1024,
    file: kb('RssFile') / 1024,
    hwm: kb('VmHWM') / 1024,
  }
}

const deps = await testDeps()
const dir = mkdtempSync(join(tmpdir(), 'unipanel-bench-agent-'))
const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: createApp(deps).fetch })
type Agent = {
  label: string
  argv: string[]
  env: Record<string, string>
  serverId: number
  child?: ReturnType<typeof Bun.spawn>
}
const fromCheckout = [process.execPath, 'src/main.ts']
const agents: Agent[] = [
  { label: 'as it comes', argv: fromCheckout, env: {}, serverId: 0 },
  { label: 'BUN_JSC_useJIT=0', argv: fromCheckout, env: { BUN_JSC_useJIT: '0' }, serverId: 0 },
]
// The file `unipanel agent` is deployed as, when it has been built (`bun run compile`).
const binary = join(root, 'dist/unipanel')
if (existsSync(binary)) {
  agents.push({ label: 'compiled binary', argv: [binary], env: {}, serverId: 0 })
  agents.push({
    label: 'compiled binary, BUN_JSC_useJIT=0',
    argv: [binary],
    env: { BUN_JSC_useJIT: '0' },
    serverId: 0,
  })
}
try {
  for (const [i, agent] of agents.entries()) {
    const row = await insertServer(deps.database, {
      name: `agent-bench-${i}`,
      host: '127.0.0.1',
      port: 22,
      user: 'root',
      tags: [],
      notes: '',
      hostKey: null,
    })
    agent.serverId = row.id
    const file = join(dir, `token-${i}`)
    writeFileSync(file, (await issueAgentToken(deps, row.id)).token, { mode: 0o600 })
    agent.child = Bun.spawn(
      [
        ...agent.argv,
        'agent',
        '--panel',
        `http://127.0.0.1:${server.port}`,
        '--token-file',
        file,
        '--interval',
        '5',
      ],
      {
        cwd: root,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...agent.env },
        stdout: 'ignore',
        stderr: 'pipe',
      },
    )
  }
  await Bun.sleep(STARTUP_S * 1000)
  const start = agents.map((a) => cpuNs(a.child!.pid))
  const started = performance.now()
  await Bun.sleep(MEASURE_S * 1000)
  const seconds = (performance.now() - started) / 1000
  for (const [i, agent] of agents.entries()) {
    const pid = agent.child!.pid
    const cpu = ((cpuNs(pid) - start[i]!) / 1e9 / seconds) * 100
    const mem = status(pid)
    const { db, t } = deps.database
    const stored = (
      await db.select().from(t.metricSamples).where(eq(t.metricSamples.serverId, agent.serverId))
    ).length
    process.stdout.write(
      `agent (${agent.label}): ${stored} samples stored; RSS ${mem.rss.toFixed(1)} MB = ${mem.anon.toFixed(1)} MB private + ` +
        `${mem.file.toFixed(1)} MB of the Bun executable's shared pages (peak ${mem.hwm.toFixed(1)} MB); CPU ${cpu.toFixed(3)} % over ${seconds.toFixed(0)} s\n`,
    )
    if (stored < 10)
      process.stdout.write(`warning: the agent (${agent.label}) stored only ${stored} samples\n`)
    report(`agent RSS at 5 s (${agent.label})`, Math.round(mem.rss * 10) / 10, 'MB', { atMost: 35 })
    report(`agent CPU at 5 s (${agent.label})`, Math.round(cpu * 1000) / 1000, '% of a core', { atMost: 0.2 })
  }
} finally {
  for (const agent of agents) agent.child?.kill('SIGTERM')
  await Promise.all(agents.map((a) => a.child?.exited))
  server.stop(true)
  await deps.dispose()
  rmSync(dir, { recursive: true, force: true })
}
