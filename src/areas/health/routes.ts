/** Liveness and readiness for load balancers and systemd: no session, no rate limit. */
import { Hono } from 'hono'
import type { AppEnv } from '../../lib/env.ts'

export const health = new Hono<AppEnv>()

health.get('/live', (c) => c.json({ status: 'ok' }))

health.get('/ready', async (c) => {
  const started = performance.now()
  let database: { ok: boolean; ms: number; error?: string }
  try {
    await Promise.race([
      c.var.deps.database.ping(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timed out after 2 s')), 2000)),
    ])
    database = { ok: true, ms: Math.round(performance.now() - started) }
  } catch (err) {
    database = {
      ok: false,
      ms: Math.round(performance.now() - started),
      error: (err as Error).message.split('\n')[0],
    }
  }
  const ok = database.ok
  return c.json({ status: ok ? 'ok' : 'unavailable', checks: { database } }, ok ? 200 : 503)
})
