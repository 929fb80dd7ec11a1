/** @jsxImportSource @kitajs/html */
/**
 * The servers area's pages (admins): the fleet, adding an SSH server (with the panel's
 * key and the host key it recorded), a server's page with its live block over SSE and
 * history charts, editing, testing the connection, issuing the agent token, deleting.
 */
import { type Context, Hono } from 'hono'
import { Card, EmptyState, PageHeader } from '../../../partials/ui.tsx'
import { listQuery, validQuery } from '../../api/validate.ts'
import { callerOf, ID, idParam } from '../../auth/caller.ts'
import { requireRole } from '../../auth/middleware.ts'
import type { AppEnv } from '../../lib/env.ts'
import { AppError } from '../../lib/errors.ts'
import { page } from '../../lib/render.tsx'
import { sseStream } from '../../lib/sse.ts'
import { panelSshKey } from '../../lib/ssh-key.ts'
import { recordAudit } from '../audit/record.ts'
import { deployAgent } from '../jobs/server-jobs.ts'
import { ServerJobForms } from '../jobs/server-pages.tsx'
import { agentTokenInfo } from '../metrics/agent-tokens.ts'
import { feedsFor, LIVE_WINDOW_MS } from '../metrics/feeds.ts'
import { metricsHistory } from '../metrics/query.ts'
import { latestSample, rawPoints } from '../metrics/store.ts'
import {
  Csrf,
  FormAlert,
  type FormValues,
  formError,
  Pagination,
  PostForm,
  parseInput,
  TextField,
  when,
} from '../users/forms.tsx'
import { authorizedKeysCommand } from './api.ts'
import { pageServers, type Server } from './repository.ts'
import { fromForm, serverCreate, serverUpdate } from './schemas.ts'
import { addServer, changeServer, getServer, newAgentToken, removeServer } from './service.ts'
import { fingerprints, testConnection } from './ssh.ts'
import { HistoryCharts, LiveBlock, type LiveState, RANGES, type Range } from './views.tsx'

export const serverPages = new Hono<AppEnv>()

serverPages.use(requireRole('admin'))

const nav = (href: string) => ({ href, 'hx-get': href, 'hx-target': '#main', 'hx-push-url': 'true' })

function where(server: Server) {
  return server.connection === 'local'
    ? 'the panel’s own host'
    : `${server.user}@${server.host}:${server.port}`
}

serverPages.get('/', validQuery(listQuery), async (c) => {
  const query = c.req.valid('query')
  const { rows, total } = await pageServers(c.var.deps.database, {
    q: query.q,
    page: query.page,
    perPage: query.per_page,
  })
  return page(
    c,
    'Servers',
    <>
      <PageHeader title="Servers" description="The panel's own host and the servers it manages over SSH.">
        <div class="flex flex-wrap gap-2">
          <a class="button" {...nav('/alerts')}>
            Alerts
          </a>
          <a class="button button-primary" {...nav('/servers/new')}>
            Add server
          </a>
        </div>
      </PageHeader>
      <form
        method="get"
        action="/servers"
        hx-get="/servers"
        hx-target="#main"
        hx-push-url="true"
        class="mb-4 flex gap-2"
      >
        <label class="field">
          <span>Search</span>
          <input name="q" type="search" value={query.q ?? ''} placeholder="name, host or tag" />
        </label>
        <button class="button self-end" type="submit">
          Filter
        </button>
      </form>
      {rows.length === 0 ? (
        <EmptyState title="No servers match." />
      ) : (
        <div class="card overflow-x-auto p-0">
          <table class="table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Host</th>
                <th>Tags</th>
                <th>Status</th>
                <th>Last seen</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((server) => (
                <tr>
                  <td class="font-medium">
                    <a class="link" {...nav(`/servers/${server.id}`)} safe>
                      {server.name}
                    </a>
                  </td>
                  <td safe>{where(server)}</td>
                  <td safe>{server.tags.join(', ') || '—'}</td>
                  <td>
                    <span class={`badge badge-${server.status}`}>{server.status}</span>
                  </td>
                  <td safe>{when(server.lastSeenAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pagination
        path="/servers"
        query={{ q: query.q }}
        page={query.page}
        perPage={query.per_page}
        total={total}
      />
    </>,
  )
})

function KeyCommand(props: { publicKey: string }) {
  return (
    <div class="space-y-2 text-sm">
      <p>
        Put the panel’s public key in the SSH user’s <code>authorized_keys</code> on the server, for example
        by running this there:
      </p>
      <pre class="overflow-x-auto rounded-lg bg-surface-2 p-3 text-xs" safe>
        {authorizedKeysCommand(props.publicKey)}
      </pre>
    </div>
  )
}

async function newServerPage(c: Context<AppEnv>, values: FormValues = {}, error?: AppError | null) {
  const { publicKey } = await panelSshKey(c.var.deps)
  const pastedKey = typeof values.host_key === 'string' ? values.host_key : ''
  return page(
    c,
    'Add server',
    <>
      <PageHeader title="Add server" description="A host the panel manages over SSH with its own key." />
      <div class="grid gap-4 lg:grid-cols-2">
        <Card title="The server">
          <PostForm c={c} action="/servers">
            <FormAlert error={error} />
            <TextField
              name="name"
              label="Name"
              value={values.name as string}
              required
              error={error}
              hint="a-z, 0-9, . _ -"
            />
            <TextField
              name="host"
              label="Host name or IP address"
              value={values.host as string}
              required
              error={error}
            />
            <div class="grid grid-cols-2 gap-3">
              <TextField
                name="port"
                label="SSH port"
                type="number"
                value={(values.port as number) ?? 22}
                error={error}
              />
              <TextField
                name="user"
                label="SSH user"
                value={(values.user as string) ?? 'root'}
                error={error}
              />
            </div>
            <TextField
              name="tags"
              label="Tags"
              value={Array.isArray(values.tags) ? values.tags.join(', ') : ''}
              hint="comma separated, e.g. web, eu (alert rules can target a tag)"
              error={error}
            />
            <TextField name="notes" label="Notes" value={values.notes as string} error={error} />
            <label class="field">
              <span>Host key (optional)</span>
              <textarea
                name="host_key"
                rows="3"
                class="font-mono text-xs"
                placeholder="ssh-ed25519 AAAA…"
                safe
              >
                {pastedKey}
              </textarea>
              <small class="text-xs text-muted">
                Leave empty and the panel reads it from the server with ssh-keyscan and records it. Paste it
                (from /etc/ssh/ssh_host_ed25519_key.pub) to be sure it is the right one.
              </small>
              {error?.fields?.host_key ? (
                <span class="field-error" safe>
                  {error.fields.host_key}
                </span>
              ) : (
                ''
              )}
            </label>
            <input type="hidden" name="connection" value="ssh" />
            <button class="button button-primary" type="submit">
              Add server
            </button>
          </PostForm>
        </Card>
        <Card title="The panel’s key">
          <KeyCommand publicKey={publicKey} />
        </Card>
      </div>
    </>,
    error ? (error.status as 409 | 422) : 200,
  )
}

serverPages.get('/new', (c) => newServerPage(c))

const CREATE_FIELDS = ['name', 'host', 'port', 'user', 'tags', 'notes', 'host_key', 'connection']

serverPages.post('/', async (c) => {
  const values = fromForm(await c.req.parseBody(), CREATE_FIELDS)
  try {
    const server = await addServer(c.var.deps, callerOf(c), parseInput(serverCreate, values))
    c.header('HX-Push-Url', `/servers/${server.id}`)
    return serverPage(c, server, {
      notice: `Added ${server.name}; its host key is recorded below. Check the fingerprint.`,
    })
  } catch (err) {
    const error = formError(err)
    if (!error) throw err
    return newServerPage(c, values, error)
  }
})

type Feedback = { notice?: string; error?: AppError | null }

async function liveState(c: Context<AppEnv>, server: Server): Promise<LiveState> {
  const now = Date.now()
  const [points, latest] = await Promise.all([
    rawPoints(c.var.deps.database, server.id, now - LIVE_WINDOW_MS, now + 60_000),
    latestSample(c.var.deps.database, server.id),
  ])
  return { serverId: server.id, points, latest: latest?.sample ?? null, status: server.status }
}

function rangeOf(value: string | undefined): Range {
  return value && value in RANGES ? (value as Range) : '1h'
}

function RangeTabs(props: { serverId: number; range: Range }) {
  return (
    <nav
      class="mb-3 flex gap-1"
      aria-label="Range"
      hx-target:inherited="#history"
      hx-swap:inherited="innerHTML"
    >
      {(Object.keys(RANGES) as Range[]).map((range) => (
        <a
          class={`button ${range === props.range ? 'button-primary' : ''}`}
          href={`/servers/${props.serverId}?range=${range}`}
          hx-get={`/servers/${props.serverId}/charts?range=${range}`}
          aria-current={range === props.range ? 'true' : undefined}
          safe
        >
          {range.replace('h', ' h').replace('d', ' d')}
        </a>
      ))}
    </nav>
  )
}

async function historyFragment(c: Context<AppEnv>, serverId: number, range: Range) {
  const history = await metricsHistory(c.var.deps, serverId, { since: range, step: 'auto' })
  return (
    <>
      <RangeTabs serverId={serverId} range={range} />
      <HistoryCharts history={history} range={range} />
    </>
  )
}

async function serverPage(
  c: Context<AppEnv>,
  server: Server,
  feedback: Feedback = {},
  status: 200 | 409 | 422 = 200,
) {
  const deps = c.var.deps
  const [{ publicKey }, state, token, safeHistory] = await Promise.all([
    panelSshKey(deps),
    liveState(c, server),
    server.connection === 'ssh' ? agentTokenInfo(deps, server.id) : Promise.resolve(null),
    historyFragment(c, server.id, rangeOf(c.req.query('range'))),
  ])
  const ssh = server.connection === 'ssh'
  const facts = Object.entries(server.facts ?? {}).filter(([, v]) => v !== undefined && v !== null)
  return page(
    c,
    server.name,
    <>
      <PageHeader title={server.name} description={where(server)}>
        <div class="flex flex-wrap gap-2">
          <a class="button" {...nav('/servers')}>
            All servers
          </a>
          <a class="button" {...nav(`/servers/${server.id}/edit`)}>
            Edit
          </a>
        </div>
      </PageHeader>
      {feedback.notice || feedback.error ? (
        <div class="mb-4">
          <FormAlert notice={feedback.notice} error={feedback.error} />
        </div>
      ) : (
        ''
      )}
      <div class="space-y-4">
        <Card title="Live">
          <div id="live" hx-sse:connect={`/servers/${server.id}/live`} hx-swap="innerHTML">
            <LiveBlock state={state} />
          </div>
        </Card>
        <Card title="History">
          <div id="history">{safeHistory}</div>
        </Card>
        <div class="grid gap-4 lg:grid-cols-2">
          <Card title="Details">
            <dl class="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
              <dt class="text-muted">Status</dt>
              <dd>
                <span class={`badge badge-${server.status}`}>{server.status}</span>
              </dd>
              <dt class="text-muted">Last seen</dt>
              <dd safe>{when(server.lastSeenAt)}</dd>
              <dt class="text-muted">Tags</dt>
              <dd safe>{server.tags.join(', ') || '—'}</dd>
              <dt class="text-muted">Notes</dt>
              <dd safe>{server.notes || '—'}</dd>
              {facts.map(([key, value]) => (
                <>
                  <dt class="text-muted" safe>
                    {key}
                  </dt>
                  <dd safe>{Array.isArray(value) ? value.join(', ') : String(value)}</dd>
                </>
              ))}
            </dl>
          </Card>
          <Card title="Jobs">
            <ServerJobForms csrf={c.var.session?.csrfToken ?? null} server={server} />
          </Card>
          {ssh ? (
            <Card title="SSH">
              <div class="space-y-3 text-sm">
                <div>
                  <div class="text-muted">Host key recorded when the server was added</div>
                  <ul class="font-mono text-xs">
                    {fingerprints(server.hostKey).map((f) => (
                      <li safe>{f}</li>
                    ))}
                  </ul>
                </div>
                <KeyCommand publicKey={publicKey} />
                <form hx-post={`/servers/${server.id}/test`} hx-target="#test-result" hx-swap="innerHTML">
                  <Csrf c={c} />
                  <button class="button" type="submit">
                    Test connection
                  </button>
                </form>
                <div id="test-result" aria-live="polite"></div>
              </div>
            </Card>
          ) : (
            ''
          )}
          {ssh ? (
            <Card title="Agent">
              <div class="space-y-3 text-sm">
                <p>
                  <code>unipanel agent</code> on the server pushes its metrics here with a token of its own.
                </p>
                <p class="text-muted">
                  {token
                    ? `A token was issued ${when(token.createdAt)}; last used ${when(token.lastUsedAt)}. A new one replaces it.`
                    : 'No token issued yet.'}
                </p>
                <form
                  hx-post={`/servers/${server.id}/agent-token`}
                  hx-target="#agent-token"
                  hx-swap="innerHTML"
                >
                  <Csrf c={c} />
                  <button class="button" type="submit">
                    Issue agent token
                  </button>
                </form>
                <div id="agent-token" aria-live="polite"></div>
                <form method="post" action={`/servers/${server.id}/deploy-agent`}>
                  <Csrf c={c} />
                  <button class="button button-primary" type="submit">
                    Deploy the agent
                  </button>
                  <p class="mt-1 text-xs text-muted">
                    A job installs this panel’s binary on the server with a new token (in a 0600 file) and
                    starts the agent as a service.
                  </p>
                </form>
              </div>
            </Card>
          ) : (
            ''
          )}
          {ssh ? (
            <Card title="Delete">
              <PostForm c={c} action={`/servers/${server.id}/delete`}>
                <p class="text-sm text-muted">
                  Deleting forgets the server, its metrics and its alert rules. It is refused while websites,
                  databases or zones live on it.
                </p>
                <TextField name="confirm" label={`Type ${server.name} to confirm`} autocomplete="off" />
                <button class="button button-danger" type="submit">
                  Delete server
                </button>
              </PostForm>
            </Card>
          ) : (
            ''
          )}
        </div>
      </div>
    </>,
    status,
  )
}

serverPages.get(`/:id${ID}`, async (c) => serverPage(c, await getServer(c.var.deps, idParam(c))))

serverPages.get(`/:id${ID}/charts`, async (c) => {
  const server = await getServer(c.var.deps, idParam(c))
  return c.html(await historyFragment(c, server.id, rangeOf(c.req.query('range'))))
})

/** The live block over SSE: one shared feed per server, the same HTML to every viewer. */
serverPages.get(`/:id${ID}/live`, async (c) => {
  const server = await getServer(c.var.deps, idParam(c))
  const feeds = feedsFor(c.var.deps)
  return sseStream(c, async (send) => {
    const render = (state: LiveState) => String(<LiveBlock state={state} />)
    const { feed, leave } = await feeds.join(server.id, (f) => send(f.memo('live', () => render(f))))
    // The block as it is now, at once: a reconnecting tab (shown again) is up to date.
    send(feed.memo('live', () => render(feed)))
    return leave
  })
})

async function editPage(
  c: Context<AppEnv>,
  server: Server,
  values: FormValues = {},
  error?: AppError | null,
) {
  const v = (key: string, fallback: unknown) => (values[key] !== undefined ? values[key] : fallback)
  const tags = v('tags', server.tags)
  return page(
    c,
    `Edit ${server.name}`,
    <>
      <PageHeader title={`Edit ${server.name}`} description={where(server)}>
        <a class="button" {...nav(`/servers/${server.id}`)}>
          Back
        </a>
      </PageHeader>
      <Card class="max-w-xl">
        <PostForm c={c} action={`/servers/${server.id}`}>
          <FormAlert error={error} />
          <TextField name="name" label="Name" value={v('name', server.name) as string} error={error} />
          {server.connection === 'ssh' ? (
            <>
              <TextField name="host" label="Host" value={v('host', server.host) as string} error={error} />
              <div class="grid grid-cols-2 gap-3">
                <TextField
                  name="port"
                  label="SSH port"
                  type="number"
                  value={v('port', server.port) as number}
                  error={error}
                />
                <TextField
                  name="user"
                  label="SSH user"
                  value={v('user', server.user) as string}
                  error={error}
                />
              </div>
            </>
          ) : (
            ''
          )}
          <TextField
            name="tags"
            label="Tags"
            value={Array.isArray(tags) ? tags.join(', ') : ''}
            error={error}
          />
          <TextField name="notes" label="Notes" value={v('notes', server.notes) as string} error={error} />
          {server.connection === 'ssh' ? (
            <label class="flex items-center gap-2 text-sm">
              <input type="checkbox" name="rescan_host_key" value="1" />
              Read the host key again (after the server was reinstalled). A new host or port always does.
            </label>
          ) : (
            ''
          )}
          <button class="button button-primary" type="submit">
            Save
          </button>
        </PostForm>
      </Card>
    </>,
    error ? (error.status as 409 | 422) : 200,
  )
}

serverPages.get(`/:id${ID}/edit`, async (c) => editPage(c, await getServer(c.var.deps, idParam(c))))

serverPages.post(`/:id${ID}`, async (c) => {
  const server = await getServer(c.var.deps, idParam(c))
  const body = await c.req.parseBody()
  const fields =
    server.connection === 'ssh'
      ? ['name', 'host', 'port', 'user', 'tags', 'notes']
      : ['name', 'tags', 'notes']
  const values = fromForm(body, fields)
  if (body.rescan_host_key === '1') values.rescan_host_key = true
  try {
    const changed = await changeServer(c.var.deps, callerOf(c), server.id, parseInput(serverUpdate, values))
    c.header('HX-Push-Url', `/servers/${server.id}`)
    return serverPage(c, changed, { notice: 'Saved.' })
  } catch (err) {
    const error = formError(err)
    if (!error) throw err
    return editPage(c, server, values, error)
  }
})

serverPages.post(`/:id${ID}/delete`, async (c) => {
  const server = await getServer(c.var.deps, idParam(c))
  const body = await c.req.parseBody()
  try {
    if (body.confirm !== server.name)
      throw new AppError('invalid', `type ${server.name} to confirm the deletion`, {
        confirm: 'does not match',
      })
    await removeServer(c.var.deps, callerOf(c), server.id)
  } catch (err) {
    const error = formError(err)
    if (!error) throw err
    return serverPage(c, server, { error }, error.status === 409 ? 409 : 422)
  }
  if (c.req.header('hx-request') !== 'true') return c.redirect('/servers', 303)
  c.header('HX-Location', JSON.stringify({ path: '/servers', target: '#main' }))
  return c.body(null, 200)
})

serverPages.post(`/:id${ID}/test`, async (c) => {
  const result = await testConnection(c.var.deps, await getServer(c.var.deps, idParam(c)))
  return c.html(
    <div class={`alert ${result.ok ? 'alert-success' : 'alert-error'}`} role="status" safe>
      {result.message}
    </div>,
  )
})

serverPages.post(`/:id${ID}/agent-token`, async (c) => {
  const id = idParam(c)
  const token = await newAgentToken(c.var.deps, callerOf(c), id)
  const panelUrl = c.var.deps.config.publicUrl
  return c.html(
    <div class="space-y-2">
      <p class="alert alert-success">
        Shown only now: store it on the server (the old token no longer works).
      </p>
      <pre class="overflow-x-auto rounded-lg bg-surface-2 p-3 text-xs" safe>
        {token}
      </pre>
      <p class="text-muted">On the server, keep it in a file only the agent reads and start the agent:</p>
      <pre class="overflow-x-auto rounded-lg bg-surface-2 p-3 text-xs" safe>
        {`install -m 600 /dev/null /etc/unipanel/agent.token && echo '${token}' > /etc/unipanel/agent.token\nunipanel agent --panel ${panelUrl} --token-file /etc/unipanel/agent.token`}
      </pre>
    </div>,
  )
})

/** Issues a new token and starts the job that installs and starts the agent with it. */
serverPages.post(`/:id${ID}/deploy-agent`, async (c) => {
  const caller = callerOf(c)
  const server = await getServer(c.var.deps, idParam(c))
  const token = await newAgentToken(c.var.deps, caller, server.id)
  const job = await deployAgent(c.var.deps, server.id, { token, requestedBy: caller.user.id })
  await recordAudit(c.var.deps.database, caller.actor, {
    action: 'server.agent_deploy',
    objectType: 'server',
    objectId: server.id,
    after: { job: job.id },
    jobId: job.id,
  })
  if (c.req.header('hx-request') !== 'true') return c.redirect(`/jobs/${job.id}`, 303)
  c.header('HX-Redirect', `/jobs/${job.id}`)
  return c.body(null, 204)
})
