/** @jsxImportSource @kitajs/html */
/** Sign-in, sign-out and first-admin setup pages. */
import { type Context, Hono } from 'hono'
import { deleteCookie, setCookie } from 'hono/cookie'
import { z } from 'zod'
import { ThemeButton } from '../../partials/layout.tsx'
import { Alert } from '../../partials/ui.tsx'
import { validForm } from '../api/validate.ts'
import { recordAudit } from '../areas/audit/record.ts'
import { countUsers, createUser, findUserById, findUserByUsername } from '../areas/users/repository.ts'
import type { AppEnv } from '../lib/env.ts'
import { password as passwordGrammar, username as usernameGrammar } from '../lib/grammar.ts'
import { barePage } from '../lib/render.tsx'
import { createSession, deleteSession, SESSION_ABSOLUTE_MS, sessionCookieName } from './sessions.ts'
import { consumeSetupToken, setupTokenValid } from './setup.ts'
import {
  loginThrottle,
  normaliseUsername,
  pruneSignInRecords,
  recordLoginAttempt,
  tooMany,
} from './throttle.ts'
import { verifySecondFactor } from './totp.ts'

export const authRoutes = new Hono<AppEnv>()

let dummyHash: Promise<string> | null = null
/**
 * A hash spent on unknown user names too, so timing does not tell which names exist.
 * Made on first use, not at import: an argon2 hash costs ~100 ms and ~64 MB at every start.
 */
const timingEqualiser = () => {
  dummyHash ??= Bun.password.hash('unipanel-timing-equaliser', { algorithm: 'argon2id' })
  return dummyHash
}

function safeNext(value: string | undefined): string {
  return value && /^\/[A-Za-z0-9/_-]*$/.test(value) && !value.startsWith('//') ? value : '/'
}

function CsrfField(props: { token?: string | null }) {
  return props.token ? <input type="hidden" name="_csrf" value={props.token} /> : ''
}

function LoginCard(props: { error?: string; username?: string; next?: string; csrf?: string | null }) {
  return (
    <div class="card w-full max-w-sm">
      <div class="mb-6 flex items-center justify-between">
        <h1 class="text-xl font-semibold">Sign in to Unipanel</h1>
        <ThemeButton />
      </div>
      <form
        method="post"
        action="/login"
        class="space-y-4"
        hx-post="/login"
        hx-target="#main"
        hx-swap="innerHTML"
        hx-indicator="#progress"
      >
        {props.error ? (
          <Alert kind="error">
            <span safe>{props.error}</span>
          </Alert>
        ) : (
          ''
        )}
        <CsrfField token={props.csrf} />
        <input type="hidden" name="next" value={props.next ?? '/'} />
        <label class="field">
          <span>Username</span>
          <input name="username" autocomplete="username" required value={props.username ?? ''} autofocus />
        </label>
        <label class="field">
          <span>Password</span>
          <input name="password" type="password" autocomplete="current-password" required />
        </label>
        <button type="submit" class="button button-primary w-full">
          Sign in
        </button>
      </form>
    </div>
  )
}

function TotpCard(props: { error?: string; next?: string; csrf: string }) {
  return (
    <div class="card w-full max-w-sm">
      <div class="mb-4 flex items-center justify-between">
        <h1 class="text-xl font-semibold">Two-factor authentication</h1>
        <ThemeButton />
      </div>
      <p class="mb-4 text-sm text-muted">
        Enter the 6-digit code from your authenticator app, or one of your recovery codes.
      </p>
      <form
        method="post"
        action="/login/totp"
        class="space-y-4"
        hx-post="/login/totp"
        hx-target="#main"
        hx-swap="innerHTML"
        hx-indicator="#progress"
      >
        {props.error ? (
          <Alert kind="error">
            <span safe>{props.error}</span>
          </Alert>
        ) : (
          ''
        )}
        <CsrfField token={props.csrf} />
        <input type="hidden" name="next" value={props.next ?? '/'} />
        <label class="field">
          <span>Code</span>
          <input
            name="code"
            autocomplete="one-time-code"
            inputmode="text"
            required
            maxlength="20"
            autofocus
            spellcheck="false"
          />
        </label>
        <button type="submit" class="button button-primary w-full">
          Verify
        </button>
      </form>
      <form method="post" action="/logout" class="mt-3 text-center">
        <CsrfField token={props.csrf} />
        <button type="submit" class="link text-sm">
          Start over
        </button>
      </form>
    </div>
  )
}

authRoutes.get('/login', (c) => {
  if (c.var.user) return c.redirect('/', 302)
  return barePage(
    c,
    'Sign in',
    <LoginCard next={safeNext(c.req.query('next'))} csrf={c.var.session?.csrfToken} />,
    200,
    c.var.session?.csrfToken ?? null,
  )
})

const loginForm = z
  .object({
    username: z.string().max(200),
    password: z.string().max(1000),
    next: z.string().max(500).optional(),
  })
  .strip()

/** The second step must follow the first within this time. */
const SECOND_STEP_MS = 5 * 60 * 1000

function cookieOptions(production: boolean) {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'Lax' as const,
    secure: production,
    maxAge: SESSION_ABSOLUTE_MS / 1000,
  }
}

/** Ends the current session (if any) and starts a new one: a new id at every step (fixation). */
async function rotateSession(c: Context<AppEnv>, userId: number, stage: 'password' | 'full') {
  const { database, config } = c.var.deps
  if (c.var.session) await deleteSession(database, c.var.session.id)
  const { token, session } = await createSession(database, userId, {
    stage,
    ip: c.var.ip,
    userAgent: c.req.header('user-agent') ?? null,
  })
  setCookie(
    c,
    sessionCookieName(config.env === 'production'),
    token,
    cookieOptions(config.env === 'production'),
  )
  return session
}

function go(c: Context<AppEnv>, target: string) {
  if (c.req.header('hx-request') === 'true') {
    c.header('HX-Redirect', target)
    return c.body(null, 204)
  }
  return c.redirect(target, 303)
}

authRoutes.post('/login', validForm(loginForm), async (c) => {
  const { database } = c.var.deps
  const form = c.req.valid('form')
  const next = safeNext(form.next)
  const ip = c.var.ip
  const userAgent = c.req.header('user-agent') ?? null
  const typed = form.username
  await pruneSignInRecords(database)
  const user = await findUserByUsername(database, normaliseUsername(typed))
  const record = (result: 'success' | 'failure' | 'throttled', reason: string | null) =>
    recordLoginAttempt(database, {
      username: typed,
      userId: user?.id ?? null,
      ip,
      userAgent,
      stage: 'password',
      result,
      reason,
    })
  const wait = await loginThrottle(database, {
    ip,
    username: typed,
    userId: user?.totpEnabled ? user.id : null,
  })
  if (wait > 0) {
    await record('throttled', null)
    const error = tooMany(wait)
    c.header('Retry-After', String(wait))
    return barePage(
      c,
      'Sign in',
      <LoginCard
        error={`${capitalise(error.message)}.`}
        username={typed}
        next={next}
        csrf={c.var.session?.csrfToken}
      />,
      429,
    )
  }
  const ok = await Bun.password.verify(form.password, user?.passwordHash ?? (await timingEqualiser()))
  if (!user || !ok || user.status !== 'active') {
    await record('failure', !user ? 'unknown-user' : !ok ? 'wrong-password' : 'disabled')
    const message =
      user && ok ? 'This account is deactivated; ask your administrator.' : 'Wrong username or password.'
    return barePage(
      c,
      'Sign in',
      <LoginCard error={message} username={typed} next={next} csrf={c.var.session?.csrfToken} />,
      401,
    )
  }
  await record('success', user.totpEnabled ? 'password-ok' : null)
  if (user.totpEnabled) {
    await rotateSession(c, user.id, 'password')
    return go(c, next === '/' ? '/login/totp' : `/login/totp?next=${encodeURIComponent(next)}`)
  }
  await rotateSession(c, user.id, 'full')
  await recordAudit(
    database,
    { userId: user.id, name: user.username, ip },
    { action: 'login', objectType: 'user', objectId: user.id },
  )
  return go(c, next)
})

/** The session of a password-checked login waiting for its second step, or null. */
function pendingSecondStep(c: Context<AppEnv>) {
  const session = c.var.session
  if (session?.stage !== 'password') return null
  if (Date.now() - session.createdAt.getTime() > SECOND_STEP_MS) return null
  return session
}

authRoutes.get('/login/totp', (c) => {
  const session = pendingSecondStep(c)
  if (!session) return c.redirect('/login', 302)
  return barePage(
    c,
    'Two-factor authentication',
    <TotpCard csrf={session.csrfToken} next={safeNext(c.req.query('next'))} />,
    200,
    session.csrfToken,
  )
})

const totpForm = z.object({ code: z.string().max(100), next: z.string().max(500).optional() }).strip()

authRoutes.post('/login/totp', validForm(totpForm), async (c) => {
  const { database } = c.var.deps
  const session = pendingSecondStep(c)
  if (!session) {
    if (c.var.session?.stage === 'password') await deleteSession(database, c.var.session.id)
    return barePage(
      c,
      'Sign in',
      <LoginCard error="The sign-in took too long or was not started; sign in again." />,
      401,
    )
  }
  const form = c.req.valid('form')
  const next = safeNext(form.next)
  const user = await findUserById(database, session.userId)
  if (user?.status !== 'active' || !user.totpEnabled) {
    await deleteSession(database, session.id)
    return barePage(c, 'Sign in', <LoginCard error="Sign in again." />, 401)
  }
  const ip = c.var.ip
  const userAgent = c.req.header('user-agent') ?? null
  const record = (result: 'success' | 'failure' | 'throttled', reason: string | null) =>
    recordLoginAttempt(database, {
      username: user.username,
      userId: user.id,
      ip,
      userAgent,
      stage: 'totp',
      result,
      reason,
    })
  const card = (error: string) => <TotpCard csrf={session.csrfToken} next={next} error={error} />
  const wait = await loginThrottle(database, { ip, userId: user.id, secondStep: true })
  if (wait > 0) {
    await record('throttled', null)
    c.header('Retry-After', String(wait))
    return barePage(
      c,
      'Two-factor authentication',
      card(`${capitalise(tooMany(wait).message)}.`),
      429,
      session.csrfToken,
    )
  }
  const factor = await verifySecondFactor(c.var.deps, user, form.code)
  if (!factor) {
    await record('failure', 'wrong-code')
    return barePage(
      c,
      'Two-factor authentication',
      card('That code is wrong or was already used.'),
      401,
      session.csrfToken,
    )
  }
  await record('success', factor === 'recovery' ? 'recovery-code' : null)
  await rotateSession(c, user.id, 'full')
  await recordAudit(
    database,
    { userId: user.id, name: user.username, ip },
    {
      action: 'login',
      objectType: 'user',
      objectId: user.id,
      after: { second_factor: factor === 'recovery' ? 'recovery code' : 'totp' },
    },
  )
  return go(c, next)
})

authRoutes.post('/logout', async (c) => {
  const { database, config } = c.var.deps
  const session = c.var.session
  if (session) {
    await deleteSession(database, session.id)
    if (c.var.user)
      await recordAudit(
        database,
        { userId: c.var.user.id, name: c.var.user.username, ip: c.var.ip },
        { action: 'logout', objectType: 'user', objectId: c.var.user.id },
      )
  }
  deleteCookie(c, sessionCookieName(config.env === 'production'), {
    path: '/',
    secure: config.env === 'production',
  })
  return c.redirect('/login', 303)
})

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1)

function SetupCard(props: { token: string; error?: string; fields?: Record<string, string> }) {
  return (
    <div class="card w-full max-w-sm">
      <h1 class="mb-2 text-xl font-semibold">Create the first admin</h1>
      <p class="mb-4 text-sm text-muted">
        This link works once and expires an hour after the panel printed it.
      </p>
      <form method="post" action={`/setup?token=${encodeURIComponent(props.token)}`} class="space-y-4">
        {props.error ? (
          <Alert kind="error">
            <span safe>{props.error}</span>
          </Alert>
        ) : (
          ''
        )}
        <label class="field">
          <span>Username</span>
          <input name="username" autocomplete="username" required value="admin" />
        </label>
        <label class="field">
          <span>Email (optional)</span>
          <input name="email" type="email" autocomplete="email" />
        </label>
        <label class="field">
          <span>Password (10 characters or more)</span>
          <input name="password" type="password" autocomplete="new-password" required minlength="10" />
        </label>
        <button type="submit" class="button button-primary w-full">
          Create admin
        </button>
      </form>
    </div>
  )
}

authRoutes.get('/setup', async (c) => {
  const { database } = c.var.deps
  const token = c.req.query('token') ?? ''
  if ((await countUsers(database)) > 0 || !(await setupTokenValid(database, token))) {
    return barePage(
      c,
      'Setup',
      <Alert kind="error">
        This setup link is used up or has expired. Sign in, or run `unipanel user create`.
      </Alert>,
      404,
    )
  }
  return barePage(c, 'Setup', <SetupCard token={token} />)
})

const setupForm = z
  .object({ username: usernameGrammar, email: z.string().max(254).optional(), password: passwordGrammar })
  .strip()

authRoutes.post('/setup', async (c) => {
  const { database } = c.var.deps
  const token = c.req.query('token') ?? ''
  if ((await countUsers(database)) > 0 || !(await setupTokenValid(database, token))) {
    return barePage(c, 'Setup', <Alert kind="error">This setup link is used up or has expired.</Alert>, 404)
  }
  const parsed = setupForm.safeParse(await c.req.parseBody())
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    return barePage(
      c,
      'Setup',
      <SetupCard
        token={token}
        error={`${String(issue?.path[0] ?? 'input')} ${issue?.message ?? 'is invalid'}`}
      />,
      422,
    )
  }
  const user = await createUser(database, {
    username: parsed.data.username,
    role: 'admin',
    email: parsed.data.email || null,
    password: parsed.data.password,
  })
  await consumeSetupToken(database)
  await recordAudit(
    database,
    { userId: user.id, name: user.username, ip: c.var.ip },
    {
      action: 'setup',
      objectType: 'user',
      objectId: user.id,
      after: { username: user.username, role: 'admin' },
    },
  )
  return c.redirect('/login', 303)
})
