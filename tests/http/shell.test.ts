import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { PUBLIC_URL, type TestPanel, testPanel } from '../helpers.ts'

let panel: TestPanel

beforeAll(async () => {
  panel = await testPanel()
})
afterAll(() => panel.dispose())

const get = (path: string, headers: Record<string, string> = {}) =>
  panel.app.request(`${PUBLIC_URL}${path}`, { headers })

describe('health', () => {
  test('live answers ok', async () => {
    const res = await get('/health/live')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'ok' })
  })

  test('ready lists the database check', async () => {
    const res = await get('/health/ready')
    expect(res.status).toBe(200)
    const body = (await res.json()) as { status: string; checks: { database: { ok: boolean } } }
    expect(body.status).toBe('ok')
    expect(body.checks.database.ok).toBe(true)
  })
})

describe('headers', () => {
  test('every answer carries a request id and a CSP without inline script', async () => {
    const res = await get('/login')
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    const csp = res.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("script-src 'self'")
    expect(csp).not.toContain('unsafe-inline')
    expect(csp).not.toContain('unsafe-eval')
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN')
  })

  test('versioned static files are immutable for a year, unversioned ones revalidate', async () => {
    const html = await (await get('/login')).text()
    const href = /href="(\/static\/app\.css\?v=[a-z0-9]+)"/.exec(html)?.[1]
    expect(href).toBeDefined()
    const css = await get(href!)
    expect(css.status).toBe(200)
    expect(css.headers.get('content-type')).toContain('text/css')
    expect(css.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect((await get('/static/app.js')).headers.get('cache-control')).toBe('no-cache')
  })

  test('static paths cannot leave static/', async () => {
    for (const path of [
      '/static/../package.json',
      '/static/%2e%2e/package.json',
      '/static/vendor/../../src/main.ts',
    ]) {
      const res = await get(path)
      expect(res.status).not.toBe(200)
    }
  })
})

describe('errors', () => {
  test('an unknown page is a full 404 page, or a fragment for htmx', async () => {
    const admin = await panel.signIn('admin')
    const full = await admin.get('/no-such-page')
    expect(full.status).toBe(404)
    const fullText = await full.text()
    expect(fullText).toStartWith('<!doctype html>')
    expect(fullText).toContain('nothing is at /no-such-page')
    const fragment = await admin.get('/no-such-page', { 'hx-request': 'true' })
    expect(fragment.status).toBe(404)
    const fragmentText = await fragment.text()
    expect(fragmentText).not.toContain('<html')
    expect(fragmentText).toContain('nothing is at /no-such-page')
  })

  test('a wrong method answers 405 with Allow', async () => {
    const admin = await panel.signIn('admin')
    const res = await admin.request('DELETE', '/login')
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toContain('POST')
  })

  test('the API answers errors as JSON in the contract shape', async () => {
    const res = await get('/api/v1/account')
    expect(res.status).toBe(401)
    const body = (await res.json()) as { error: { code: string; message: string } }
    expect(body.error.code).toBe('unauthorized')
    expect(body.error.message).toContain('Bearer')
    const user = await panel.createUser('user')
    const token = await panel.token(user)
    const missing = await panel.api(token, 'GET', '/no-such-thing')
    expect(missing.status).toBe(404)
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not-found')
    const wrongMethod = await panel.api(token, 'DELETE', '/account')
    expect(wrongMethod.status).toBe(405)
  })

  test('a body over the limit is refused with 413 before parsing', async () => {
    const admin = await panel.signIn('admin')
    const res = await admin.request('POST', '/logout', {
      body: { _csrf: admin.csrf, filler: 'x'.repeat(1024 * 1024 + 10) },
    })
    expect(res.status).toBe(413)
  })
})

describe('shell', () => {
  test('a signed-out visitor is sent to /login', async () => {
    const res = await get('/servers')
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe('/login?next=%2Fservers')
  })

  test('the signed-in page carries the csrf meta, the sidebar and the theme from the cookie', async () => {
    const admin = await panel.signIn('admin')
    const html = await (await admin.get('/', { cookie: `${admin.cookie}; theme=dark` })).text()
    expect(html).toContain('<html lang="en" dir="ltr" class="dark">')
    expect(html).toMatch(/<meta name="csrf-token" content="[A-Za-z0-9_-]{20,}"/)
    for (const label of [
      'Dashboard',
      'Servers',
      'Websites',
      'Databases',
      'DNS',
      'Users',
      'Jobs',
      'Audit',
      'Account',
    ]) {
      expect(html).toContain(`<span>${label}</span>`)
    }
  })

  test('a plain user does not see admin menu entries', async () => {
    const user = await panel.signIn('user')
    const html = await (await user.get('/')).text()
    expect(html).not.toContain('<span>Servers</span>')
    expect(html).toContain('<span>Websites</span>')
  })
})
