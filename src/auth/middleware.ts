/**
 * The authentication layer shared by the UI, the API and SSE: sessions from the
 * cookie for the UI, bearer tokens for /api/v1 (never the cookie), the CSRF check
 * for state-changing browser requests, and role gates. Registered once, in a fixed
 * order, by createApp.
 */
import type { Context, MiddlewareHandler } from 'hono'
import { getCookie } from 'hono/cookie'
import { findUserById, type Role } from '../areas/users/repository.ts'
import { safeEqual } from '../lib/crypto.ts'
import type { AppEnv } from '../lib/env.ts'
import { AppError } from '../lib/errors.ts'
import { findApiToken } from './api-tokens.ts'
import { needsTotpEnrolment } from './policy.ts'
import { cachedSession, connectSessionCache, rememberSession } from './session-cache.ts'
import { findSession, SESSION_IDLE_MS, sessionCookieName } from './sessions.ts'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** Loads the session and its user from the cookie; never rejects (routes decide). */
export const loadSession: MiddlewareHandler<AppEnv> = async (c, next) => {
  const { deps } = c.var
  const { config, database } = deps
  c.set('user', null)
  c.set('session', null)
  c.set('apiToken', null)
  const token = getCookie(c, sessionCookieName(config.env === 'production'))
  if (token) {
    connectSessionCache(deps)
    const now = Date.now()
    const hit = cachedSession(database, token, now)
    if (hit) {
      c.set('session', hit.session)
      if (hit.session.stage === 'full') c.set('user', hit.user)
    } else {
      const session = await findSession(database, token, new Date(now))
      const user = session ? await findUserById(database, session.userId) : null
      if (session && user && user.status === 'active') {
        c.set('session', session)
        if (session.stage === 'full') c.set('user', user)
        rememberSession(database, token, session, user, now, SESSION_IDLE_MS)
      }
    }
  }
  await next()
}

/**
 * CSRF for cookie-authenticated requests: the Origin (or Referer) must be the
 * configured public URL, and a signed-in session must send its token as `_csrf`
 * or `X-CSRF-Token`. HTMX headers are never taken as proof of anything.
 */
export const checkCsrf: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (SAFE_METHODS.has(c.req.method)) return next()
  const { publicUrl } = c.var.deps.config
  const origin = c.req.header('origin') ?? refererOrigin(c.req.header('referer'))
  if (origin !== undefined && origin !== publicUrl) {
    throw new AppError('forbidden', 'this request came from another site and was refused (CSRF check)')
  }
  const session = c.var.session
  if (session) {
    const sent = c.req.header('x-csrf-token') ?? (await formField(c, '_csrf'))
    if (!sent || !safeEqual(sent, session.csrfToken)) {
      throw new AppError(
        'forbidden',
        'the form is out of date or lacks its CSRF token; reload the page and try again',
      )
    }
  } else if (origin === undefined) {
    throw new AppError('forbidden', 'this request has no Origin header and was refused (CSRF check)')
  }
  return next()
}

function refererOrigin(referer: string | undefined): string | undefined {
  if (!referer) return undefined
  try {
    return new URL(referer).origin
  } catch {
    return 'invalid'
  }
}

async function formField(c: Context<AppEnv>, name: string): Promise<string | undefined> {
  const type = c.req.header('content-type') ?? ''
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data'))
    return undefined
  const body = await c.req.parseBody()
  const value = body[name]
  return typeof value === 'string' ? value : undefined
}

/** Where a user whose role requires 2FA may go before enrolling. */
const ENROLMENT_PATHS = new Set(['/account/security', '/account/totp', '/logout'])

/**
 * UI pages: a signed-in user, else a redirect to /login (HX-Redirect for htmx). A user
 * whose role requires 2FA and who has not enrolled is held on the enrolment page.
 */
export const requireLogin: MiddlewareHandler<AppEnv> = async (c, next) => {
  const user = c.var.user
  if (user) {
    if (ENROLMENT_PATHS.has(c.req.path) || !(await needsTotpEnrolment(c.var.deps.database, user)))
      return next()
    if (c.req.method === 'GET' || c.req.method === 'HEAD') {
      if (c.req.header('hx-request') === 'true') {
        c.header('HX-Redirect', '/account/security')
        return c.body(null, 204)
      }
      return c.redirect('/account/security', 302)
    }
    throw new AppError(
      'forbidden',
      'your role requires two-factor authentication; turn it on in Account › Security first',
    )
  }
  if (c.req.header('hx-request') === 'true') {
    c.header('HX-Redirect', '/login')
    return c.body(null, 401)
  }
  if (c.req.method === 'GET' || c.req.method === 'HEAD') {
    const next = c.req.path === '/' ? '' : `?next=${encodeURIComponent(c.req.path)}`
    return c.redirect(`/login${next}`, 302)
  }
  throw new AppError('unauthorized', 'sign in first')
}

/** /api/v1: `Authorization: Bearer <token>`; a read-scoped token may only read. */
export const requireApiToken: MiddlewareHandler<AppEnv> = async (c, next) => {
  const { database } = c.var.deps
  c.set('user', null)
  c.set('session', null)
  c.set('apiToken', null)
  const header = c.req.header('authorization') ?? ''
  const match = /^Bearer\s+(\S+)$/i.exec(header)
  if (!match)
    throw new AppError('unauthorized', 'send an API token as "Authorization: Bearer <token>"', undefined, {
      'WWW-Authenticate': 'Bearer',
    })
  const token = await findApiToken(database, match[1]!)
  const user = token ? await findUserById(database, token.userId) : null
  if (!token || !user || user.status !== 'active') {
    throw new AppError('unauthorized', 'the API token is unknown, revoked or expired', undefined, {
      'WWW-Authenticate': 'Bearer',
    })
  }
  if (await needsTotpEnrolment(database, user)) {
    throw new AppError(
      'forbidden',
      'your role requires two-factor authentication; turn it on in Account › Security before using API tokens',
    )
  }
  if (token.scope === 'read' && !SAFE_METHODS.has(c.req.method)) {
    throw new AppError('forbidden', 'this token has read scope; make a write token to change things')
  }
  c.set('user', user)
  c.set('apiToken', token)
  return next()
}

/** A role gate: a role that lacks the capability altogether gets 403. */
export function requireRole(...roles: Role[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const user = c.var.user
    if (!user) throw new AppError('unauthorized', 'sign in first')
    if (!roles.includes(user.role))
      throw new AppError('forbidden', `only ${roles.join(' or ')} accounts may do this`)
    return next()
  }
}
