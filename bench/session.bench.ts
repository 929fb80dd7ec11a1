/**
 * The cost of the session check (cookie → session → user, with the 2FA policy gate)
 * as a share of an unauthenticated route's time. Target (issue 3): under 5%.
 *
 * Measured in-process through app.fetch on a real SQLite panel, so socket noise does
 * not drown a microsecond difference: the check is the difference between GET
 * /login/totp with a signed-in cookie and with a cookie header of the same size that
 * holds no session (the handler does the same work, a redirect, either way); the
 * unauthenticated route is GET /login, the page
 * every visitor gets first. Requests of the three kinds are interleaved one by one; medians are reported.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createApp } from '../src/app.ts'
import { createUser } from '../src/areas/users/repository.ts'
import { closeDeps, openDeps } from '../src/boot.ts'
import { loadConfig } from '../src/config.ts'
import { createLog } from '../src/lib/log.ts'
import { median, report } from './report.ts'

const WARMUP = 3000
const REQUESTS = 30000
const ORIGIN = 'http://127.0.0.1:8080'

const dataDir = mkdtempSync(join(tmpdir(), 'unipanel-bench-session-'))
const deps = await openDeps(
  loadConfig({
    UNIPANEL_DATA_DIR: dataDir,
    UNIPANEL_PUBLIC_URL: ORIGIN,
    UNIPANEL_SECRET: 'bench-secret-bench-secret-bench-secret-1',
  }),
  createLog({ quiet: true }),
)

try {
  const app = createApp(deps)
  const password = 'bench password 123'
  const user = await createUser(deps.database, { username: 'bench', role: 'user', password })
  const login = await app.fetch(
    new Request(`${ORIGIN}/login`, {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: user.username, password }).toString(),
    }),
  )
  const cookie = login.headers.getSetCookie()[0]?.split(';')[0]
  if (login.status !== 303 || !cookie) throw new Error(`sign-in answered ${login.status}`)

  // The same header bytes without a session, so building the request costs the same both ways.
  const decoy = `theme=${'x'.repeat(cookie.length - 6)}`

  async function once(path: string, headers: Record<string, string>, expect: number): Promise<number> {
    const started = performance.now()
    const res = await app.fetch(new Request(`${ORIGIN}${path}`, { headers }))
    await res.arrayBuffer()
    const took = (performance.now() - started) * 1000
    if (res.status !== expect) throw new Error(`${path} answered ${res.status}, not ${expect}`)
    return took
  }

  // Interleaved request by request, so a neighbour's load drift hits all three alike.
  const page: number[] = []
  const withSession: number[] = []
  const without: number[] = []
  for (let i = 0; i < WARMUP + REQUESTS; i++) {
    const a = await once('/login', {}, 200)
    const b = await once('/login/totp', { cookie }, 302)
    const c = await once('/login/totp', { cookie: decoy }, 302)
    if (i < WARMUP) continue
    page.push(a)
    withSession.push(b)
    without.push(c)
  }
  const pageUs = median(page)
  const checkUs = Math.max(0, median(withSession) - median(without))
  process.stdout.write(
    `unauthenticated GET /login: ${pageUs.toFixed(1)} µs; session check: ${checkUs.toFixed(2)} µs ` +
      `(redirect with a session ${median(withSession).toFixed(2)} µs, without ${median(without).toFixed(2)} µs; medians of ${REQUESTS})\n`,
  )
  report('session check share of an unauthenticated route', (checkUs / pageUs) * 100, '%', { atMost: 5 })
} finally {
  await closeDeps(deps)
  rmSync(dataDir, { recursive: true, force: true })
}
