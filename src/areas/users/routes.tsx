/** @jsxImportSource @kitajs/html */
/**
 * The users area's pages: list with search and pagination, create, edit (email, role,
 * package, status), reset password, delete (refused while the user owns anything,
 * unless the username is typed to confirm), and the admins' 2FA-per-role policy.
 */
import { type Context, Hono } from 'hono'
import { z } from 'zod'
import { Card, EmptyState, PageHeader, PageLink } from '../../../partials/ui.tsx'
import { validQuery } from '../../api/validate.ts'
import { callerOf, ID, idParam } from '../../auth/caller.ts'
import { requireRole } from '../../auth/middleware.ts'
import { rolesRequiring2fa, setRolesRequiring2fa } from '../../auth/policy.ts'
import type { AppEnv } from '../../lib/env.ts'
import type { AppError } from '../../lib/errors.ts'
import { page } from '../../lib/render.tsx'
import { recordAudit } from '../audit/record.ts'
import type { Package } from '../packages/repository.ts'
import { assignablePackages } from '../packages/service.ts'
import {
  FormAlert,
  type FormValues,
  formError,
  formInput,
  Pagination,
  PostForm,
  parseInput,
  SelectField,
  TextField,
  when,
} from './forms.tsx'
import { holdingsOf, listHoldings } from './ownership.ts'
import { ROLES, type Role, type User } from './repository.ts'
import { passwordReset, userCreate, userListQuery, userUpdate } from './schemas.ts'
import {
  createUserAccount,
  deleteUserAccount,
  getUser,
  listUsers,
  resetUserPassword,
  updateUserAccount,
} from './service.ts'

export const userPages = new Hono<AppEnv>()

userPages.use(requireRole('admin', 'reseller'))

const FORM_NUMBERS = { numbers: ['package_id'], nullable: ['package_id', 'email'] }

function packageOptions(packages: Package[]) {
  return [{ value: '', label: 'No package' }, ...packages.map((p) => ({ value: p.id, label: p.name }))]
}

function rolesFor(me: User): Role[] {
  return me.role === 'admin' ? [...ROLES] : ['user']
}

userPages.get('/', validQuery(userListQuery), async (c) => {
  const me = c.var.user!
  const query = c.req.valid('query')
  const { rows, total } = await listUsers(c.var.deps, me, query)
  const packages = new Map((await assignablePackages(c.var.deps, me)).map((p) => [p.id, p.name]))
  return page(
    c,
    'Users',
    <>
      <PageHeader
        title="Users"
        description={me.role === 'admin' ? 'Every account on the panel.' : 'The accounts you created.'}
      >
        <div class="flex flex-wrap gap-2">
          <a class="button" href="/packages" hx-get="/packages" hx-target="#main" hx-push-url="true">
            Packages
          </a>
          {me.role === 'admin' ? (
            <>
              <a
                class="button"
                href="/users/policy"
                hx-get="/users/policy"
                hx-target="#main"
                hx-push-url="true"
              >
                2FA policy
              </a>
              <a
                class="button"
                href="/audit/logins"
                hx-get="/audit/logins"
                hx-target="#main"
                hx-push-url="true"
              >
                Sign-in attempts
              </a>
            </>
          ) : (
            ''
          )}
          <a
            class="button button-primary"
            href="/users/new"
            hx-get="/users/new"
            hx-target="#main"
            hx-push-url="true"
          >
            New user
          </a>
        </div>
      </PageHeader>
      <form
        method="get"
        action="/users"
        hx-get="/users"
        hx-target="#main"
        hx-push-url="true"
        class="mb-4 flex flex-wrap items-end gap-2"
      >
        <label class="field">
          <span>Search</span>
          <input name="q" type="search" value={query.q ?? ''} placeholder="name or email" />
        </label>
        {me.role === 'admin' ? (
          <SelectField
            name="role"
            label="Role"
            value={query.role ?? ''}
            options={[{ value: '', label: 'Any role' }, ...ROLES.map((r) => ({ value: r, label: r }))]}
          />
        ) : (
          ''
        )}
        <SelectField
          name="status"
          label="Status"
          value={query.status ?? ''}
          options={[
            { value: '', label: 'Any status' },
            { value: 'active', label: 'active' },
            { value: 'disabled', label: 'disabled' },
          ]}
        />
        <button class="button" type="submit">
          Filter
        </button>
      </form>
      {rows.length === 0 ? (
        <EmptyState title="No users match.">Create one with “New user”.</EmptyState>
      ) : (
        <div class="card overflow-x-auto p-0">
          <table class="table">
            <thead>
              <tr>
                <th>Username</th>
                <th>Email</th>
                <th>Role</th>
                <th>Status</th>
                <th>Package</th>
                <th>2FA</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((user) => (
                <tr>
                  <td class="font-medium">
                    <PageLink href={`/users/${user.id}`} label={user.username} />
                  </td>
                  <td safe>{user.email ?? '—'}</td>
                  <td>
                    <span class="badge">{user.role}</span>
                  </td>
                  <td>
                    <span class={`badge badge-${user.status}`}>{user.status}</span>
                  </td>
                  <td>{user.packageId ? (packages.get(user.packageId) ?? `#${user.packageId}`) : '—'}</td>
                  <td>{user.totpEnabled ? 'on' : 'off'}</td>
                  <td safe>{when(user.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pagination
        path="/users"
        query={{ q: query.q, role: query.role, status: query.status }}
        page={query.page}
        perPage={query.per_page}
        total={total}
      />
    </>,
  )
})

async function newUserPage(c: Context<AppEnv>, values: FormValues = {}, error?: AppError | null) {
  const me = c.var.user!
  const packages = await assignablePackages(c.var.deps, me)
  return page(
    c,
    'New user',
    <>
      <PageHeader
        title="New user"
        description={
          me.role === 'reseller' ? 'The account will be yours to manage, within your own package.' : undefined
        }
      />
      <Card class="max-w-xl">
        <PostForm c={c} action="/users">
          <FormAlert error={error} />
          <TextField
            name="username"
            label="Username"
            value={values.username as string}
            required
            autocomplete="off"
            error={error}
          />
          <SelectField
            name="role"
            label="Role"
            value={(values.role as string) ?? 'user'}
            options={rolesFor(me).map((r) => ({ value: r, label: r }))}
            error={error}
          />
          <TextField
            name="email"
            label="Email (optional)"
            type="email"
            value={values.email as string}
            error={error}
          />
          <TextField
            name="password"
            label="Password (leave empty to generate one)"
            type="password"
            autocomplete="new-password"
            error={error}
          />
          <SelectField
            name="package_id"
            label="Package"
            value={values.package_id as number}
            options={packageOptions(packages)}
            error={error}
          />
          <button class="button button-primary" type="submit">
            Create user
          </button>
        </PostForm>
      </Card>
    </>,
    error ? (error.status as 403 | 404 | 409 | 422) : 200,
  )
}

userPages.get('/new', (c) => newUserPage(c))

userPages.post('/', async (c) => {
  const values = await formInput(c, FORM_NUMBERS)
  try {
    const input = parseInput(userCreate, { ...values, email: values.email ?? undefined })
    const { user, password } = await createUserAccount(c.var.deps, callerOf(c), input)
    c.header('HX-Push-Url', `/users/${user.id}`)
    return userPage(c, user, {
      notice: password
        ? `Created ${user.username}. Its password, shown only now: ${password}`
        : `Created ${user.username}.`,
    })
  } catch (err) {
    const error = formError(err)
    if (!error) throw err
    return newUserPage(c, values, error)
  }
})

type Feedback = { notice?: string; error?: AppError | null; section?: string; values?: FormValues }

async function userPage(c: Context<AppEnv>, user: User, feedback: Feedback = {}) {
  const me = c.var.user!
  const packages = await assignablePackages(c.var.deps, me)
  const holdings = await holdingsOf(c.var.deps.database, user.id)
  const err = (section: string) => (feedback.section === section ? feedback.error : null)
  const values = feedback.values ?? {}
  return page(
    c,
    user.username,
    <>
      <PageHeader title={user.username} description={`${user.role} · ${user.status}`}>
        <a class="button" href="/users" hx-get="/users" hx-target="#main" hx-push-url="true">
          All users
        </a>
      </PageHeader>
      {feedback.notice || (feedback.error && !feedback.section) ? (
        <div class="mb-4">
          <FormAlert notice={feedback.notice} error={feedback.section ? null : feedback.error} />
        </div>
      ) : (
        ''
      )}
      <div class="grid gap-4 lg:grid-cols-2">
        <Card title="Account">
          <PostForm c={c} action={`/users/${user.id}`}>
            <FormAlert error={err('edit')} />
            <TextField
              name="email"
              label="Email"
              type="email"
              value={(values.email as string) ?? user.email}
              error={err('edit')}
            />
            {me.role === 'admin' ? (
              <SelectField
                name="role"
                label="Role"
                value={user.role}
                options={ROLES.map((r) => ({ value: r, label: r }))}
                error={err('edit')}
              />
            ) : (
              ''
            )}
            <SelectField
              name="package_id"
              label="Package"
              value={user.packageId}
              options={packageOptions(packages)}
              error={err('edit')}
            />
            <button class="button button-primary" type="submit">
              Save
            </button>
          </PostForm>
        </Card>
        <Card title="Status">
          <p class="mb-3 text-sm">
            {user.status === 'active'
              ? 'The account can sign in and its API tokens work.'
              : 'The account cannot sign in and its API tokens are refused.'}
          </p>
          <PostForm c={c} action={`/users/${user.id}/status`}>
            <FormAlert error={err('status')} />
            <input type="hidden" name="status" value={user.status === 'active' ? 'disabled' : 'active'} />
            <button class={user.status === 'active' ? 'button' : 'button button-primary'} type="submit">
              {user.status === 'active' ? 'Deactivate' : 'Activate'}
            </button>
          </PostForm>
          <p class="mt-4 text-sm text-muted" safe>
            {`Two-factor authentication: ${user.totpEnabled ? 'on' : 'off'} · created ${when(user.createdAt)}`}
          </p>
        </Card>
        <Card title="Password">
          <PostForm c={c} action={`/users/${user.id}/password`}>
            <FormAlert error={err('password')} />
            <TextField
              name="password"
              label="New password (leave empty to generate one)"
              type="password"
              autocomplete="new-password"
              error={err('password')}
            />
            <p class="text-sm text-muted">The user's sessions end.</p>
            <button class="button" type="submit">
              Reset password
            </button>
          </PostForm>
        </Card>
        <Card title="Delete">
          <PostForm c={c} action={`/users/${user.id}/delete`}>
            <FormAlert error={err('delete')} />
            {holdings.length > 0 ? (
              <>
                <p class="text-sm" safe>
                  {`${user.username} still owns ${listHoldings(holdings)}. Deleting the account deletes them too.`}
                </p>
                <TextField
                  name="confirm"
                  label={`Type ${user.username} to confirm`}
                  autocomplete="off"
                  error={err('delete')}
                />
              </>
            ) : (
              <p class="text-sm">The account owns nothing; it can be deleted.</p>
            )}
            <button class="button button-danger" type="submit">
              Delete user
            </button>
          </PostForm>
        </Card>
      </div>
    </>,
    feedback.error ? (feedback.error.status as 403 | 404 | 409 | 422) : 200,
  )
}

userPages.get(`/:id${ID}`, async (c) => userPage(c, await getUser(c.var.deps, c.var.user!, idParam(c))))

userPages.post(`/:id${ID}`, async (c) => {
  const user = await getUser(c.var.deps, c.var.user!, idParam(c))
  const values = await formInput(c, FORM_NUMBERS)
  try {
    const input = parseInput(userUpdate, { package_id: null, ...values })
    const updated = await updateUserAccount(c.var.deps, callerOf(c), user.id, input)
    return userPage(c, updated, { notice: 'Saved.' })
  } catch (err) {
    const error = formError(err)
    if (!error) throw err
    return userPage(c, user, { error, section: 'edit', values })
  }
})

userPages.post(`/:id${ID}/status`, async (c) => {
  const user = await getUser(c.var.deps, c.var.user!, idParam(c))
  try {
    const input = parseInput(userUpdate.pick({ status: true }).strict(), await formInput(c))
    const updated = await updateUserAccount(c.var.deps, callerOf(c), user.id, input)
    return userPage(c, updated, {
      notice: updated.status === 'active' ? 'Activated.' : 'Deactivated; its sessions ended.',
    })
  } catch (err) {
    const error = formError(err)
    if (!error) throw err
    return userPage(c, user, { error, section: 'status' })
  }
})

userPages.post(`/:id${ID}/password`, async (c) => {
  const user = await getUser(c.var.deps, c.var.user!, idParam(c))
  try {
    const input = parseInput(passwordReset, await formInput(c))
    const { password } = await resetUserPassword(c.var.deps, callerOf(c), user.id, input.password)
    return userPage(c, user, {
      notice: password
        ? `New password, shown only now: ${password} — the user's sessions ended.`
        : "Password changed; the user's sessions ended.",
    })
  } catch (err) {
    const error = formError(err)
    if (!error) throw err
    return userPage(c, user, { error, section: 'password' })
  }
})

userPages.post(`/:id${ID}/delete`, async (c) => {
  const user = await getUser(c.var.deps, c.var.user!, idParam(c))
  const values = await formInput(c)
  try {
    await deleteUserAccount(
      c.var.deps,
      callerOf(c),
      user.id,
      typeof values.confirm === 'string' ? values.confirm : undefined,
    )
  } catch (err) {
    const error = formError(err)
    if (!error) throw err
    return userPage(c, user, { error, section: 'delete' })
  }
  if (c.req.header('hx-request') === 'true') {
    c.header('HX-Redirect', '/users')
    return c.body(null, 204)
  }
  return c.redirect('/users', 303)
})

const policyForm = z.object({ roles: z.array(z.enum(ROLES)) }).strict()

async function policyPage(c: Context<AppEnv>, notice?: string, error?: AppError | null) {
  const roles = await rolesRequiring2fa(c.var.deps.database)
  return page(
    c,
    '2FA policy',
    <>
      <PageHeader
        title="Two-factor authentication policy"
        description="Roles that must use 2FA. Their members are held on the enrolment page until they turn it on, and their API tokens are refused until then."
      />
      <Card class="max-w-xl">
        <PostForm c={c} action="/users/policy">
          <FormAlert notice={notice} error={error} />
          {ROLES.map((role) => (
            <label class="flex items-center gap-2 text-sm">
              <input type="checkbox" name="roles" value={role} checked={roles.includes(role)} />
              <span safe>{`Require 2FA for ${role} accounts`}</span>
            </label>
          ))}
          <button class="button button-primary" type="submit">
            Save policy
          </button>
        </PostForm>
      </Card>
    </>,
    error ? (error.status as 422) : 200,
  )
}

userPages.get('/policy', requireRole('admin'), (c) => policyPage(c))

userPages.post('/policy', requireRole('admin'), async (c) => {
  let chosen: Role[]
  try {
    chosen = parseInput(policyForm, await formInput(c, { lists: ['roles'] })).roles
  } catch (err) {
    const error = formError(err)
    if (!error) throw err
    return policyPage(c, undefined, error)
  }
  const before = await rolesRequiring2fa(c.var.deps.database)
  await setRolesRequiring2fa(c.var.deps.database, chosen)
  await recordAudit(c.var.deps.database, callerOf(c).actor, {
    action: 'policy.2fa',
    objectType: 'setting',
    objectId: 'require_2fa_roles',
    before: { roles: before },
    after: { roles: chosen },
  })
  return policyPage(
    c,
    chosen.length ? `2FA is now required for: ${chosen.join(', ')}.` : '2FA is required for no role.',
  )
})
