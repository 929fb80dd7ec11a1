/**
 * The panel side of bench/sse.bench.ts, as a process of its own so its memory is
 * measured alone: a real panel (createApp behind Bun.serve, idle timeout as `serve`
 * sets it) with a signed-in admin, sampling this host every 5 s as the panel does by
 * default (UNIPANEL_BENCH_SSE_INTERVAL for another pace) for the dashboard's live cards,
 * until it is told to stop. Prints {"port":…,"cookie":…} once
 * ready, and {"updates":N} when stopped.
 */
import { createApp } from '../src/app.ts'
import { createCollector } from '../src/areas/metrics/collector.ts'
import { ingestFor } from '../src/areas/metrics/ingest.ts'
import { ensureLocalServer } from '../src/areas/servers/repository.ts'
import { createUser } from '../src/areas/users/repository.ts'
import { testDeps } from '../tests/helpers.ts'
import { freePort } from '../tests/process.ts'

const port = freePort()
const origin = `http://127.0.0.1:${port}`
const deps = await testDeps({ UNIPANEL_PUBLIC_URL: origin })
const app = createApp(deps)
const server = Bun.serve({ hostname: '127.0.0.1', port, fetch: app.fetch, idleTimeout: 30 })
const password = 'bench password 123'
await createUser(deps.database, { username: 'bench', role: 'admin', password })
const login = await app.fetch(
  new Request(`${origin}/login`, {
    method: 'POST',
    headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: 'bench', password }).toString(),
  }),
)
const cookie = login.headers.getSetCookie()[0]?.split(';')[0]
if (!cookie) throw new Error(`sign-in answered ${login.status}`)
const local = await ensureLocalServer(deps.database)
const collector = createCollector()
let updates = 0
// The panel's default sampling interval (UNIPANEL_METRICS_INTERVAL), or another for a harder run.
const interval = Number(process.env.UNIPANEL_BENCH_SSE_INTERVAL ?? 5)
const timer = setInterval(() => {
  ingestFor(deps).accept(local.id, [collector.sample(interval)])
  updates++
}, interval * 1000)
process.stdout.write(`${JSON.stringify({ port, cookie })}\n`)
// SIGUSR2: a full garbage collection, so the benchmark reads memory in use, not garbage.
process.on('SIGUSR2', () => {
  Bun.gc(true)
  process.stdout.write(`${JSON.stringify({ gc: true })}\n`)
})
await new Promise<void>((resolve) => process.once('SIGTERM', resolve))
clearInterval(timer)
process.stdout.write(`${JSON.stringify({ updates })}\n`)
server.stop(true)
await deps.dispose()
process.exit(0)
