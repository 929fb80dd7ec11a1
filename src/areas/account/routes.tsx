/** @jsxImportSource @kitajs/html */
/**
 * The caller's own account: profile, password, sessions (device, IP, last seen; revoke
 * any), API tokens (shown once) and, on /account/security, two-factor authentication
 * with a server-rendered QR code and recovery codes.
 */
import { type Context, Hono } from 'hono'
import { z } from 'zod'
import { Alert, Card, PageHeader } from '../../../partials/ui.tsx'
import { listUserTokens } from '../../auth/api-tokens.ts'
import { callerOf, ID, idParam } from '../../auth/caller.ts'
import { needsTotpEnrolment, rolesRequiring2fa } from '../../auth/policy.ts'
import {
  otpauthUri,
  qrCodeDataUrl,
  resumeEnrolment,
  startEnrolment,
  unusedRecoveryCodes,
} from '../../auth/totp.ts'
import type { AppEnv } from '../../lib/env.ts'
import type { AppError } from '../../lib/errors.ts'
import { page } from '../../lib/render.tsx'
import { quotaOf } from '../packages/quota.ts'
import {
  FormAlert,
  type FormValues,
  formError,
  formInput,
  PostForm,
  parseInput,
  SelectField,
  TextField,
  when,
} from '../users/forms.tsx'
import { findUserById, type User } from '../users/repository.ts'
import { accountUpdate, passwordChange, tokenCreate } from '../users/schemas.ts'
import { deviceOf } from './device.ts'
import {
  changePassword,
  enableTotp,
  makeToken,
  newRecoveryCodes,
  revokeSession,
  revokeToken,
  sessionsOf,
  turnOffTotp,
  updateProfile,
} from './service.ts'

export const accountPages = new Hono<AppEnv>()

type Feedback = {
  section?: string
  notice?: string
  error?: AppError | null
  values?: FormValues
  newToken?: string
}

const status = (f: Feedback) => (f.error ? (f.error.status as 403 | 404 | 409 | 422) : 200)

async function accountPage(c: Context<AppEnv>, feedback: Feedback = {}) {
  const { deps } = c.var
  const me = (await findUserById(deps.database, c.var.user!.id))!
  const quota = await quotaOf(deps, me)
  const sessions = await sessionsOf(deps, me)
  const tokens = await listUserTokens(deps.database, me.id)
  const tokensBlocked = await needsTotpEnrolment(deps.database, me)
  const current = c.var.session?.id
  const at = (s: string) => (feedback.section === s ? feedback : {})
  return page(
    c,
    'Account',
    <>
      <PageHeader title="Account" description={`Signed in as ${me.username} (${me.role}).`}>
        <a
          class="button"
          href="/account/security"
          hx-get="/account/security"
          hx-target="#main"
          hx-push-url="true"
        >
          Two-factor authentication: {me.totpEnabled ? 'on' : 'off'}
        </a>
      </PageHeader>
      <div class="grid gap-4 lg:grid-cols-2">
        <Card title="Profile">
          <PostForm c={c} action="/account/profile">
            <FormAlert notice={at('profile').notice} error={at('profile').error} />
            <TextField
              name="email"
              label="Email"
              type="email"
              autocomplete="email"
              value={(at('profile').values?.email as string) ?? me.email}
              error={at('profile').error}
            />
            <button class="button button-primary" type="submit">
              Save
            </button>
          </PostForm>
          <p class="mt-4 text-sm text-muted">
            {quota
              ? `Package ${quota.package}: ${quota.websites} websites, ${quota.databases} databases, ${quota.dns_zones} DNS zones, ${quota.disk_mb} MB of disk.`
              : me.role === 'admin'
                ? 'Admins have no package limits.'
                : 'No hosting package is assigned to this account.'}
          </p>
        </Card>
        <Card title="Password">
          <PostForm c={c} action="/account/password">
            <FormAlert notice={at('password').notice} error={at('password').error} />
            <TextField
              name="current_password"
              label="Current password"
              type="password"
              autocomplete="current-password"
              required
              error={at('password').error}
            />
            <TextField
              name="new_password"
              label="New password (10 characters or more)"
              type="password"
              autocomplete="new-password"
              required
              error={at('password').error}
            />
            <p class="text-sm text-muted">Your other sessions end.</p>
            <button class="button button-primary" type="submit">
              Change password
            </button>
          </PostForm>
        </Card>
      </div>
      <Card title="Sessions" class="mt-4">
        <FormAlert notice={at('sessions').notice} error={at('sessions').error} />
        <div class="overflow-x-auto">
          <table class="table">
            <thead>
              <tr>
                <th>Device</th>
                <th>IP</th>
                <th>Last seen</th>
                <th>Signed in</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              {sessions.map((s) => (
                <tr>
                  <td>
                    <span title={s.userAgent ?? ''} safe>
                      {deviceOf(s.userAgent)}
                    </span>
                    {s.id === current ? <span class="badge badge-active ms-2">this session</span> : ''}
                  </td>
                  <td safe>{s.ip ?? '—'}</td>
                  <td safe>{when(s.lastSeenAt)}</td>
                  <td safe>{when(s.createdAt)}</td>
                  <td class="text-end">
                    <PostForm c={c} action={`/account/sessions/${s.id}/revoke`} class="inline">
                      <button class="button" type="submit">
                        {s.id === current ? 'Sign out' : 'Revoke'}
                      </button>
                    </PostForm>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Card>
      <Card title="API tokens" class="mt-4">
        {feedback.newToken ? (
          <div class="mb-4">
            <Alert kind="success">
              <p>Your new token, shown only now. Copy it:</p>
              <code class="mt-2 block break-all font-mono text-sm" data-new-token safe>
                {feedback.newToken}
              </code>
            </Alert>
          </div>
        ) : (
          ''
        )}
        <FormAlert notice={at('tokens').notice} error={at('tokens').error} />
        {tokens.length ? (
          <div class="mb-4 overflow-x-auto">
            <table class="table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Scope</th>
                  <th>Created</th>
                  <th>Expires</th>
                  <th>Last used</th>
                  <th></th>
                </tr>
              </thead>
              <tbody>
                {tokens.map((t) => (
                  <tr>
                    <td safe>{t.name}</td>
                    <td>{t.scope}</td>
                    <td safe>{when(t.createdAt)}</td>
                    <td>{t.expiresAt ? when(t.expiresAt) : 'never'}</td>
                    <td safe>{when(t.lastUsedAt)}</td>
                    <td class="text-end">
                      {t.revokedAt ? (
                        <span class="badge badge-disabled">revoked</span>
                      ) : t.expiresAt && t.expiresAt <= new Date() ? (
                        <span class="badge">expired</span>
                      ) : (
                        <PostForm c={c} action={`/account/tokens/${t.id}/revoke`} class="inline">
                          <button class="button" type="submit">
                            Revoke
                          </button>
                        </PostForm>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          ''
        )}
        {tokensBlocked ? (
          <Alert kind="info">
            Your role requires two-factor authentication: turn it on before making API tokens.
          </Alert>
        ) : (
          <PostForm c={c} action="/account/tokens" class="grid gap-3 sm:grid-cols-4 sm:items-end">
            <TextField
              name="name"
              label="Name"
              required
              value={at('tokens').values?.name as string}
              error={at('tokens').error}
            />
            <SelectField
              name="scope"
              label="Scope"
              value={(at('tokens').values?.scope as string) ?? 'write'}
              options={[
                { value: 'write', label: 'read and write' },
                { value: 'read', label: 'read only' },
              ]}
              error={at('tokens').error}
            />
            <TextField
              name="expires_in_days"
              label="Expires after (days, optional)"
              type="number"
              min={1}
              value={at('tokens').values?.expires_in_days as number}
              error={at('tokens').error}
            />
            <button class="button button-primary" type="submit">
              Make token
            </button>
          </PostForm>
        )}
      </Card>
    </>,
    status(feedback),
  )
}

accountPages.get('/', (c) => accountPage(c))

/** Runs a form action; its expected errors are shown in its own card. */
async function action(
  c: Context<AppEnv>,
  section: string,
  run: (values: FormValues) => Promise<Feedback | undefined>,
  options?: Parameters<typeof formInput>[1],
  render: (c: Context<AppEnv>, f: Feedback) => Promise<Response> = accountPage,
) {
  const values = await formInput(c, options)
  try {
    const feedback = (await run(values)) ?? {}
    return render(c, { section, ...feedback })
  } catch (err) {
    const error = formError(err)
    if (!error) throw err
    return render(c, { section, error, values })
  }
}

accountPages.post('/profile', (c) =>
  action(
    c,
    'profile',
    async (values) => {
      await updateProfile(c.var.deps, callerOf(c), parseInput(accountUpdate, values))
      return { notice: 'Saved.' }
    },
    { nullable: ['email'] },
  ),
)

accountPages.post('/password', (c) =>
  action(c, 'password', async (values) => {
    await changePassword(
      c.var.deps,
      callerOf(c),
      c.var.session?.id ?? null,
      parseInput(passwordChange, values),
    )
    return { notice: 'Password changed; your other sessions ended.' }
  }),
)

accountPages.post('/sessions/:sid{[0-9a-f]{64}}/revoke', async (c) => {
  const sid = c.req.param('sid')
  parseInput(z.object({}).strict(), await formInput(c))
  await revokeSession(c.var.deps, callerOf(c), sid)
  if (sid === c.var.session?.id) {
    if (c.req.header('hx-request') === 'true') {
      c.header('HX-Redirect', '/login')
      return c.body(null, 204)
    }
    return c.redirect('/login', 303)
  }
  return accountPage(c, { section: 'sessions', notice: 'The session was revoked.' })
})

accountPages.post('/tokens', (c) =>
  action(
    c,
    'tokens',
    async (values) => {
      const { token } = await makeToken(c.var.deps, callerOf(c), parseInput(tokenCreate, values))
      return { newToken: token }
    },
    { numbers: ['expires_in_days'] },
  ),
)

accountPages.post(`/tokens/:id${ID}/revoke`, async (c) => {
  parseInput(z.object({}).strict(), await formInput(c))
  await revokeToken(c.var.deps, callerOf(c), idParam(c))
  return accountPage(c, { section: 'tokens', notice: 'The token was revoked.' })
})

function groups(secret: string): string {
  return secret.replace(/(.{4})/g, '$1 ').trim()
}

async function securityPage(c: Context<AppEnv>, feedback: Feedback & { codes?: string[] } = {}) {
  const { deps } = c.var
  const me = (await findUserById(deps.database, c.var.user!.id)) as User
  const required = (await rolesRequiring2fa(deps.database)).includes(me.role)
  const at = (s: string) => (feedback.section === s ? feedback : {})
  let body: JSX.Element
  if (feedback.codes) {
    body = (
      <Card title="Recovery codes" class="max-w-xl">
        <Alert kind="success">
          <span safe>{feedback.notice ?? 'Two-factor authentication is on.'}</span>
        </Alert>
        <p class="my-3 text-sm">
          Keep these ten codes somewhere safe. Each signs you in once when your phone is not at hand. They are
          shown only now.
        </p>
        <ul class="grid grid-cols-2 gap-2 font-mono text-sm" data-recovery-codes>
          {feedback.codes.map((code) => (
            <li class="rounded bg-surface-2 px-2 py-1" safe>
              {code}
            </li>
          ))}
        </ul>
        <a class="button button-primary mt-4" href="/account/security">
          Done
        </a>
      </Card>
    )
  } else if (!me.totpEnabled) {
    const given = feedback.values?.pending
    const { secret, pending } =
      (typeof given === 'string' ? resumeEnrolment(deps, me, given) : null) ??
      (await startEnrolment(deps, me))
    body = (
      <Card title="Turn on two-factor authentication" class="max-w-xl">
        <FormAlert notice={feedback.notice} />
        {required ? (
          <div class="mb-4">
            <Alert kind="info">Your role requires two-factor authentication: turn it on to continue.</Alert>
          </div>
        ) : (
          ''
        )}
        <ol class="list-decimal space-y-4 ps-5 text-sm">
          <li>
            <p class="mb-2">
              Scan this code with an authenticator app (Aegis, Google Authenticator, 1Password…):
            </p>
            <img
              src={await qrCodeDataUrl(await otpauthUri(secret, me.username))}
              alt="QR code for your authenticator app"
              width="200"
              height="200"
              class="rounded-lg border border-line"
              data-totp-qr
            />
          </li>
          <li>
            <p class="mb-1">Or type this key into the app:</p>
            <code class="block break-all font-mono text-base" data-totp-secret safe>
              {groups(secret)}
            </code>
          </li>
          <li>
            <p class="mb-2">Enter the 6-digit code the app shows:</p>
            <PostForm c={c} action="/account/totp" class="flex flex-wrap items-end gap-2">
              <FormAlert error={at('enable').error} />
              <input type="hidden" name="pending" value={pending} />
              <TextField
                name="code"
                label="Code"
                autocomplete="one-time-code"
                required
                error={at('enable').error}
              />
              <button class="button button-primary" type="submit">
                Turn on
              </button>
            </PostForm>
          </li>
        </ol>
      </Card>
    )
  } else {
    const left = await unusedRecoveryCodes(deps.database, me.id)
    body = (
      <div class="grid gap-4 lg:grid-cols-2">
        <Card title="Status">
          <FormAlert notice={feedback.notice} />
          <p class="text-sm" safe>
            {`Two-factor authentication is on. ${left} unused recovery code${left === 1 ? '' : 's'} left.`}
          </p>
          <h3 class="mt-4 mb-2 text-sm font-semibold">New recovery codes</h3>
          <PostForm c={c} action="/account/recovery-codes" class="flex flex-wrap items-end gap-2">
            <FormAlert error={at('codes').error} />
            <TextField
              name="code"
              label="Current code from your app"
              autocomplete="one-time-code"
              required
              error={at('codes').error}
            />
            <button class="button" type="submit">
              Make new codes
            </button>
          </PostForm>
        </Card>
        <Card title="Turn off">
          {required ? (
            <p class="text-sm">Your role requires two-factor authentication, so it cannot be turned off.</p>
          ) : (
            <PostForm c={c} action="/account/totp/disable">
              <FormAlert error={at('disable').error} />
              <TextField
                name="password"
                label="Your password"
                type="password"
                autocomplete="current-password"
                required
                error={at('disable').error}
              />
              <p class="text-sm text-muted">Your other sessions end.</p>
              <button class="button button-danger" type="submit">
                Turn off 2FA
              </button>
            </PostForm>
          )}
        </Card>
      </div>
    )
  }
  return page(
    c,
    'Security',
    <>
      <PageHeader title="Two-factor authentication" description="A code from your phone at every sign-in.">
        <a class="button" href="/account" hx-get="/account" hx-target="#main" hx-push-url="true">
          Account
        </a>
      </PageHeader>
      {body}
    </>,
    status(feedback),
  )
}

accountPages.get('/security', (c) => securityPage(c))

const codeForm = z.object({ code: z.string().max(20) }).strict()
const enableForm = z.object({ code: z.string().max(20), pending: z.string().max(1000) }).strict()

accountPages.post('/totp', (c) =>
  action(
    c,
    'enable',
    async (values) => {
      const input = parseInput(enableForm, values)
      const codes = await enableTotp(c.var.deps, callerOf(c), c.var.session?.id ?? null, input)
      return { codes, notice: 'Two-factor authentication is on; your other sessions ended.' } as Feedback
    },
    {},
    securityPage,
  ),
)

accountPages.post('/totp/disable', (c) =>
  action(
    c,
    'disable',
    async (values) => {
      const { password } = parseInput(z.object({ password: z.string().max(1000) }).strict(), values)
      await turnOffTotp(c.var.deps, callerOf(c), c.var.session?.id ?? null, password)
      return { notice: 'Two-factor authentication is off; your other sessions ended.' }
    },
    {},
    securityPage,
  ),
)

accountPages.post('/recovery-codes', (c) =>
  action(
    c,
    'codes',
    async (values) => {
      const { code } = parseInput(codeForm, values)
      const codes = await newRecoveryCodes(c.var.deps, callerOf(c), code)
      return { codes, notice: 'New recovery codes; the old ones no longer work.' } as Feedback
    },
    {},
    securityPage,
  ),
)
