/** Sign-in, sign-out and first-admin setup pages. */
import { zValidator } from '@hono/zod-validator'
import { Hono } from 'hono'
import { deleteCookie, setCookie } from 'hono/cookie'
import { z } from 'zod'
import { ThemeButton } from '../../partials/layout.tsx'
import { Alert } from '../../partials/ui.tsx'
import { recordAudit } from '../areas/audit/record.ts'
import { countUsers, createUser, findUserByUsername } from '../areas/users/repository.ts'
import type { AppEnv } from '../lib/env.ts'
import { password as passwordGrammar, username as usernameGrammar } from '../lib/grammar.ts'
import { barePage } from '../lib/render.tsx'
import { createSession, deleteSession, SESSION_ABSOLUTE_MS, sessionCookieName } from './sessions.ts'
import { consumeSetupToken, setupTokenValid } from './setup.ts'

export const authRoutes = new Hono<AppEnv>()

/** Spent on unknown user names too, so timing does not tell which names exist. */
const DUMMY_HASH = await Bun.password.hash('unipanel-timing-equaliser', { algorithm: 'argon2id' })

function safeNext(value: string | undefined): string {
  return value && /^\/[A-Za-z0-9/_-]*$/.test(value) && !value.startsWith('//') ? value : '/'
}

function LoginCard(props: { error?: string; username?: string; next?: string }) {
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

authRoutes.get('/login', (c) => {
  if (c.var.user) return c.redirect('/', 302)
  return barePage(c, 'Sign in', <LoginCard next={safeNext(c.req.query('next'))} />)
})

const loginForm = z
  .object({
    username: z.string().max(200),
    password: z.string().max(1000),
    next: z.string().max(500).optional(),
  })
  .strip()

authRoutes.post('/login', zValidator('form', loginForm), async (c) => {
  const { database, config } = c.var.deps
  const form = c.req.valid('form')
  const user = await findUserByUsername(database, form.username.trim().toLowerCase())
  const ok = await Bun.password.verify(form.password, user?.passwordHash ?? DUMMY_HASH)
  if (!user || !ok || user.status !== 'active') {
    return barePage(
      c,
      'Sign in',
      <LoginCard error="Wrong username or password." username={form.username} next={form.next} />,
      401,
    )
  }
  if (c.var.session) await deleteSession(database, c.var.session.id)
  const { token } = await createSession(database, user.id, {
    stage: 'full',
    ip: c.var.ip,
    userAgent: c.req.header('user-agent') ?? null,
  })
  setCookie(c, sessionCookieName(config.env === 'production'), token, {
    path: '/',
    httpOnly: true,
    sameSite: 'Lax',
    secure: config.env === 'production',
    maxAge: SESSION_ABSOLUTE_MS / 1000,
  })
  await recordAudit(
    database,
    { userId: user.id, name: user.username, ip: c.var.ip },
    { action: 'login', objectType: 'user', objectId: user.id },
  )
  const target = safeNext(form.next)
  if (c.req.header('hx-request') === 'true') {
    c.header('HX-Redirect', target)
    return c.body(null, 204)
  }
  return c.redirect(target, 303)
})

authRoutes.post('/logout', async (c) => {
  const { database, config } = c.var.deps
  if (c.var.session) await deleteSession(database, c.var.session.id)
  deleteCookie(c, sessionCookieName(config.env === 'production'), {
    path: '/',
    secure: config.env === 'production',
  })
  return c.redirect('/login', 303)
})

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
