/**
 * createApp(deps): every middleware in its fixed order, then every area's routes.
 * main.ts and the tests both build the app here, so tests exercise what production runs.
 *
 * Order matters (SECURITY.md): request id and access log first, then secure headers
 * and the body limit, then static files and health (no session), then the API with
 * bearer tokens only, then the UI with session, CSRF and login, then the areas.
 */
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { requestId } from 'hono/request-id'
import { secureHeaders } from 'hono/secure-headers'
import { api } from './api/routes.ts'
import { accountPages } from './areas/account/routes.tsx'
import { alertPages } from './areas/alerts/routes.tsx'
import { auditPages } from './areas/audit/routes.tsx'
import { dashboard } from './areas/dashboard/routes.tsx'
import { health } from './areas/health/routes.ts'
import { jobPages } from './areas/jobs/routes.tsx'
import { serverJobPages } from './areas/jobs/server-pages.tsx'
import { AGENT_SAMPLES_PATH } from './areas/metrics/agent-api.ts'
import { prometheus } from './areas/metrics/prometheus.ts'
import { packagePages } from './areas/packages/routes.tsx'
import { serverPages } from './areas/servers/routes.tsx'
import { unavailableArea } from './areas/unavailable.tsx'
import { userPages } from './areas/users/routes.tsx'
import { checkCsrf, loadSession, requireApiToken, requireLogin } from './auth/middleware.ts'
import { authRoutes } from './auth/routes.tsx'
import type { Deps } from './deps.ts'
import { clientIp } from './lib/client-ip.ts'
import type { AppEnv } from './lib/env.ts'
import { handleError, handleNotFound } from './lib/http-errors.tsx'
import { staticFiles } from './lib/static.ts'

export const MAX_BODY_BYTES = 1024 * 1024

export function createApp(deps: Deps) {
  const app = new Hono<AppEnv>()

  app.use(requestId({ headerName: 'X-Request-Id', generator: () => crypto.randomUUID() }))
  app.use(async (c, next) => {
    const started = performance.now()
    c.set('deps', deps)
    c.set('ip', clientIp(c, deps.config.trustedProxies))
    c.set('user', null)
    c.set('session', null)
    c.set('apiToken', null)
    await next()
    if (c.req.path.startsWith('/static/')) return
    // Thousands of agents push every few seconds: only their failures are worth a log line.
    if (c.req.path === AGENT_SAMPLES_PATH && c.res.status < 400) return
    deps.log.info('request', {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round((performance.now() - started) * 10) / 10,
      ip: c.var.ip,
      id: c.var.requestId,
    })
  })
  app.use(
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
      strictTransportSecurity:
        deps.config.env === 'production' ? 'max-age=63072000; includeSubDomains' : false,
      referrerPolicy: 'same-origin',
      crossOriginEmbedderPolicy: false,
    }),
  )
  app.use(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => handleError(new (class extends Error {})('body too large'), c, 'too-large'),
    }),
  )

  app.route('/static', staticFiles)
  app.route('/health', health)
  app.route('/metrics', prometheus)

  app.use('/api/v1/*', async (c, next) => {
    // The agent's ingest authenticates with the server's agent token, not a user's API token.
    if (c.req.path === '/api/v1/openapi.json' || c.req.path === AGENT_SAMPLES_PATH) return next()
    return requireApiToken(c, next)
  })
  app.route('/api/v1', api)

  app.use(loadSession, checkCsrf)
  app.route('/', authRoutes)
  app.use(requireLogin)
  app.route('/', dashboard)
  app.route('/servers', serverPages)
  app.route('/servers', serverJobPages)
  app.route('/alerts', alertPages)
  app.route('/jobs', jobPages)
  app.route('/users', userPages)
  app.route('/packages', packagePages)
  app.route('/account', accountPages)
  app.route('/audit', auditPages)
  app.route(
    '/websites',
    unavailableArea('Websites', 'nginx sites: PHP, static and reverse proxies, with TLS.'),
  )
  app.route('/databases', unavailableArea('Databases', 'MariaDB and PostgreSQL databases and their users.'))
  app.route('/dns', unavailableArea('DNS', 'Zones and records served by PowerDNS.'))

  const allowed = () => app.routes
  app.notFound((c) => handleNotFound(c, allowed()))
  app.onError((err, c) => handleError(err, c))
  return app
}

export type App = ReturnType<typeof createApp>
