/** @jsxImportSource @kitajs/html */
/**
 * /jobs: the list (filtered by state, server, kind and user), a job's page with its
 * live log, the plain-text log, the SSE stream the page connects to, and the
 * cancel / retry / apply buttons. Each user sees only the jobs its tenancy allows.
 */
import { type Context, Hono } from 'hono'
import { EmptyState, PageHeader, PageLink } from '../../../partials/ui.tsx'
import { validQuery } from '../../api/validate.ts'
import { callerOf, ID, idParam } from '../../auth/caller.ts'
import type { Deps } from '../../deps.ts'
import type { AppEnv } from '../../lib/env.ts'
import { isHtmx, page } from '../../lib/render.tsx'
import { listServers } from '../servers/repository.ts'
import { Pagination, when } from '../users/forms.tsx'
import { findUserById, type User } from '../users/repository.ts'
import { logLines } from './log.ts'
import { isFinished, JOB_STATES, type Job, jobKindLabel } from './model.ts'
import { jobKinds } from './repository.ts'
import { cancelJob, jobLogText, jobsQuery, listVisibleJobs, retryJob, visibleJob } from './service.ts'
import { jobStream } from './stream.ts'
import { JobDetails, JobLog, type JobNames, JobStatus, Progress, StateBadge } from './views.tsx'

export const jobPages = new Hono<AppEnv>()

/** Names for the server and user ids a page shows (servers in one query, users as needed). */
export async function jobNames(
  deps: Deps,
  jobs: Job[],
): Promise<JobNames & { servers: { id: number; name: string }[] }> {
  const servers = await listServers(deps.database)
  const serverNames = new Map(servers.map((s) => [s.id, s.name]))
  const users = new Map<number, User | null>()
  for (const id of new Set(jobs.map((j) => j.requestedBy))) {
    if (id !== null) users.set(id, await findUserById(deps.database, id))
  }
  return {
    servers,
    server: (id) => (id === null ? 'the panel’s host' : (serverNames.get(id) ?? `server #${id} (removed)`)),
    user: (id) => (id === null ? 'the panel' : (users.get(id)?.username ?? `user #${id}`)),
  }
}

jobPages.get('/', validQuery(jobsQuery), async (c) => {
  const { deps } = c.var
  const me = c.var.user!
  const query = c.req.valid('query')
  const { rows, total } = await listVisibleJobs(deps, me, query)
  const names = await jobNames(deps, rows)
  const kinds = await jobKinds(deps.database)
  const active = rows.some((j) => !isFinished(j))
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(query))
    if (v !== undefined && v !== '' && k !== 'per_page') params.set(k, String(v))
  const self = params.size ? `/jobs?${params}` : '/jobs'
  const select = (
    name: string,
    label: string,
    options: [string, string][],
    value: string | number | undefined,
  ) => (
    <label class="field">
      <span safe>{label}</span>
      <select name={name}>
        <option value="">All</option>
        {options.map(([v, text]) => (
          <option value={v} selected={String(value ?? '') === v} safe>
            {text}
          </option>
        ))}
      </select>
    </label>
  )
  return page(
    c,
    'Jobs',
    <>
      <PageHeader
        title="Jobs"
        description="Every change to a server runs as a job: an Ansible play with a live log. Newest first."
      />
      <form
        method="get"
        action="/jobs"
        hx-get="/jobs"
        hx-target="#main"
        hx-push-url="true"
        class="mb-4 flex flex-wrap items-end gap-2"
      >
        <label class="field">
          <span>Search</span>
          <input name="q" value={query.q ?? ''} placeholder="kind, playbook, summary or #id" />
        </label>
        {select(
          'state',
          'State',
          JOB_STATES.map((s) => [s, s]),
          query.state,
        )}
        {me.role === 'admin'
          ? select(
              'server_id',
              'Server',
              names.servers.map((s) => [String(s.id), s.name]),
              query.server_id,
            )
          : ''}
        {select(
          'kind',
          'Kind',
          kinds.map((k) => [k, jobKindLabel(k)]),
          query.kind,
        )}
        {me.role !== 'user' ? (
          <label class="field">
            <span>User id</span>
            <input
              name="user_id"
              inputmode="numeric"
              value={query.user_id ? String(query.user_id) : ''}
              class="w-24"
            />
          </label>
        ) : (
          ''
        )}
        <button class="button" type="submit">
          Filter
        </button>
      </form>
      {rows.length === 0 ? (
        <EmptyState title="No jobs match.">
          <p>Jobs appear here when a change is made to a server, such as gathering its facts.</p>
        </EmptyState>
      ) : (
        <div
          id="jobs-table"
          class="card overflow-x-auto p-0"
          hx-get={active ? self : undefined}
          hx-trigger={active ? 'every 3s' : undefined}
          hx-select={active ? '#jobs-table' : undefined}
          hx-target={active ? 'this' : undefined}
          hx-swap={active ? 'outerHTML' : undefined}
        >
          <table class="table">
            <thead>
              <tr>
                <th>Job</th>
                <th>Kind</th>
                <th>Server</th>
                <th>State</th>
                <th>Progress</th>
                <th>Requested by</th>
                <th>Queued</th>
                <th>Summary</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((job) => (
                <tr>
                  <td>
                    <PageLink href={`/jobs/${job.id}`} label={`#${job.id}`} />
                  </td>
                  <td safe>{`${jobKindLabel(job.kind)}${job.dryRun ? ' (dry run)' : ''}`}</td>
                  <td safe>{names.server(job.serverId)}</td>
                  <td>
                    <StateBadge job={job} />
                  </td>
                  <td>
                    <Progress job={job} compact />
                  </td>
                  <td safe>{names.user(job.requestedBy)}</td>
                  <td class="whitespace-nowrap" safe>
                    {when(job.createdAt)}
                  </td>
                  <td class="max-w-md truncate text-xs text-muted" title={job.summary ?? ''} safe>
                    {job.summary ?? ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pagination
        path="/jobs"
        query={Object.fromEntries([...params.entries()])}
        page={query.page}
        perPage={query.per_page}
        total={total}
      />
    </>,
  )
})

async function jobPage(c: Context<AppEnv>, job: Job) {
  const { deps } = c.var
  const names = await jobNames(deps, [job])
  const lines = logLines(await jobLogText(deps, job))
  return page(
    c,
    `Job #${job.id}`,
    <>
      <PageHeader
        title={`Job #${job.id}: ${jobKindLabel(job.kind)}${job.dryRun ? ' (dry run)' : ''}`}
        description={`On ${names.server(job.serverId)}, requested by ${names.user(job.requestedBy)}.`}
      >
        <a class="button" href="/jobs" hx-get="/jobs" hx-target="#main" hx-push-url="true">
          All jobs
        </a>
      </PageHeader>
      <div class="space-y-4">
        <JobStatus csrf={c.var.session?.csrfToken ?? null} job={job} />
        {job.dryRun && job.state === 'succeeded' ? (
          <p class="alert alert-info">
            This was a preview: the log below shows the changes (lines starting with + and -) the play would
            make. Nothing was changed. Apply them with the button above.
          </p>
        ) : (
          ''
        )}
        <JobLog job={job} lines={lines} />
        <JobDetails job={job} names={names} />
      </div>
    </>,
  )
}

jobPages.get(`/:id${ID}`, async (c) => {
  const job = await visibleJob(c.var.deps, c.var.user!, idParam(c))
  return jobPage(c, job)
})

jobPages.get(`/:id${ID}/log`, async (c) => {
  const job = await visibleJob(c.var.deps, c.var.user!, idParam(c))
  c.header('Content-Type', 'text/plain; charset=utf-8')
  c.header('X-Content-Type-Options', 'nosniff')
  c.header('Cache-Control', 'no-store')
  return c.body(await jobLogText(c.var.deps, job))
})

jobPages.get(`/:id${ID}/stream`, async (c) => {
  const job = await visibleJob(c.var.deps, c.var.user!, idParam(c))
  return jobStream(c, job)
})

/** After a button: the job page to show (htmx swaps it in and pushes its URL), or a redirect. */
async function showJob(c: Context<AppEnv>, job: Job) {
  if (!isHtmx(c)) return c.redirect(`/jobs/${job.id}`, 303)
  c.header('HX-Push-Url', `/jobs/${job.id}`)
  return jobPage(c, job)
}

jobPages.post(`/:id${ID}/cancel`, async (c) =>
  showJob(c, await cancelJob(c.var.deps, callerOf(c), idParam(c))),
)
jobPages.post(`/:id${ID}/retry`, async (c) =>
  showJob(c, await retryJob(c.var.deps, callerOf(c), idParam(c), 'retry')),
)
jobPages.post(`/:id${ID}/apply`, async (c) =>
  showJob(c, await retryJob(c.var.deps, callerOf(c), idParam(c), 'apply')),
)
