/** @jsxImportSource @kitajs/html */
/**
 * /audit: the audit log with filters (admins see all, resellers their users', users
 * their own) and /audit/logins: sign-in attempts for admins. Everything a user typed
 * (a failed username, a user agent) is shown escaped.
 */
import { Hono } from 'hono'
import { EmptyState, PageHeader } from '../../../partials/ui.tsx'
import { listQuery, validQuery } from '../../api/validate.ts'
import { requireRole } from '../../auth/middleware.ts'
import { listLoginAttempts } from '../../auth/throttle.ts'
import type { AppEnv } from '../../lib/env.ts'
import { page } from '../../lib/render.tsx'
import { Pagination, when } from '../users/forms.tsx'
import { auditQuery, listAudit } from './repository.ts'

export const auditPages = new Hono<AppEnv>()

function summary(value: unknown): string {
  if (value == null) return ''
  const text = JSON.stringify(value)
  return text.length > 160 ? `${text.slice(0, 157)}…` : text
}

auditPages.get('/', validQuery(auditQuery), async (c) => {
  const me = c.var.user!
  const query = c.req.valid('query')
  const { rows, total } = await listAudit(c.var.deps.database, me, query)
  const filter = (name: 'q' | 'action' | 'object_type' | 'actor', label: string) => (
    <label class="field">
      <span safe>{label}</span>
      <input name={name} value={query[name] ?? ''} />
    </label>
  )
  return page(
    c,
    'Audit',
    <>
      <PageHeader
        title="Audit log"
        description={
          me.role === 'admin'
            ? 'Every change made on the panel, newest first.'
            : me.role === 'reseller'
              ? 'Changes made by you and your users, newest first.'
              : 'Changes you made, newest first.'
        }
      >
        {me.role === 'admin' ? (
          <a class="button" href="/audit/logins" hx-get="/audit/logins" hx-target="#main" hx-push-url="true">
            Sign-in attempts
          </a>
        ) : (
          ''
        )}
      </PageHeader>
      <form
        method="get"
        action="/audit"
        hx-get="/audit"
        hx-target="#main"
        hx-push-url="true"
        class="mb-4 flex flex-wrap items-end gap-2"
      >
        {filter('q', 'Search')}
        {filter('action', 'Action')}
        {filter('object_type', 'Object type')}
        {filter('actor', 'Actor')}
        <button class="button" type="submit">
          Filter
        </button>
      </form>
      {rows.length === 0 ? (
        <EmptyState title="Nothing recorded matches." />
      ) : (
        <div class="card overflow-x-auto p-0">
          <table class="table">
            <thead>
              <tr>
                <th>When</th>
                <th>Actor</th>
                <th>IP</th>
                <th>Action</th>
                <th>Object</th>
                <th>Change</th>
                <th>Job</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr>
                  <td class="whitespace-nowrap" safe>
                    {when(row.at)}
                  </td>
                  <td safe>
                    {row.actorTokenId ? `${row.actorName} (token #${row.actorTokenId})` : row.actorName}
                  </td>
                  <td safe>{row.ip ?? '—'}</td>
                  <td safe>{row.action}</td>
                  <td safe>{row.objectId ? `${row.objectType} ${row.objectId}` : row.objectType}</td>
                  <td class="max-w-md break-all font-mono text-xs" safe>
                    {[
                      row.before ? `before ${summary(row.before)}` : '',
                      row.after ? `after ${summary(row.after)}` : '',
                    ]
                      .filter(Boolean)
                      .join(' · ')}
                  </td>
                  <td>
                    {row.jobId ? (
                      <a class="link" href={`/jobs/${row.jobId}`} safe>
                        {`#${row.jobId}`}
                      </a>
                    ) : (
                      ''
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pagination
        path="/audit"
        query={{ q: query.q, action: query.action, object_type: query.object_type, actor: query.actor }}
        page={query.page}
        perPage={query.per_page}
        total={total}
      />
    </>,
  )
})

auditPages.get('/logins', requireRole('admin'), validQuery(listQuery), async (c) => {
  const query = c.req.valid('query')
  const { rows, total } = await listLoginAttempts(c.var.deps.database, {
    q: query.q,
    offset: (query.page - 1) * query.per_page,
    limit: query.per_page,
  })
  return page(
    c,
    'Sign-in attempts',
    <>
      <PageHeader
        title="Sign-in attempts"
        description="Every attempt, newest first: the username as typed, IP and result."
      />
      <form
        method="get"
        action="/audit/logins"
        hx-get="/audit/logins"
        hx-target="#main"
        hx-push-url="true"
        class="mb-4 flex flex-wrap items-end gap-2"
      >
        <label class="field">
          <span>Username or IP</span>
          <input name="q" value={query.q ?? ''} />
        </label>
        <button class="button" type="submit">
          Filter
        </button>
      </form>
      {rows.length === 0 ? (
        <EmptyState title="No sign-in attempts recorded." />
      ) : (
        <div class="card overflow-x-auto p-0">
          <table class="table">
            <thead>
              <tr>
                <th>When</th>
                <th>Username (as typed)</th>
                <th>IP</th>
                <th>Step</th>
                <th>Result</th>
                <th>Device</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr>
                  <td class="whitespace-nowrap" safe>
                    {when(row.at)}
                  </td>
                  <td class="break-all font-mono text-xs" safe>
                    {row.username}
                  </td>
                  <td safe>{row.ip}</td>
                  <td>{row.stage === 'totp' ? 'second factor' : 'password'}</td>
                  <td>
                    <span
                      class={`badge ${row.result === 'success' ? 'badge-active' : row.result === 'failure' ? 'badge-failed' : 'badge-pending'}`}
                    >
                      {row.reason ? `${row.result}: ${row.reason}` : row.result}
                    </span>
                  </td>
                  <td class="max-w-xs truncate text-xs" title={row.userAgent ?? ''} safe>
                    {row.userAgent ?? '—'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pagination
        path="/audit/logins"
        query={{ q: query.q }}
        page={query.page}
        perPage={query.per_page}
        total={total}
      />
    </>,
  )
})
