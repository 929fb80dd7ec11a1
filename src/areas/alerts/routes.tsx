/** @jsxImportSource @kitajs/html */
/**
 * The alerts page (admins): channels (webhook, Telegram, email) with a test button,
 * rules, and the history of firings and resolutions with how each delivery went.
 */
import type { Children } from '@kitajs/html'
import { type Context, Hono } from 'hono'
import { Card, PageHeader } from '../../../partials/ui.tsx'
import { callerOf, ID, idParam } from '../../auth/caller.ts'
import { requireRole } from '../../auth/middleware.ts'
import type { AppEnv } from '../../lib/env.ts'
import type { AppError } from '../../lib/errors.ts'
import { page } from '../../lib/render.tsx'
import { listServers } from '../servers/repository.ts'
import {
  Csrf,
  FormAlert,
  type FormValues,
  formError,
  parseInput,
  SelectField,
  TextField,
  when,
} from '../users/forms.tsx'
import { TELEGRAM_API } from './channels.ts'
import { ALERT_METRIC_NAMES, ALERT_METRICS, OPS } from './metrics.ts'
import { listChannels, listEvents, listRules } from './repository.ts'
import {
  addChannel,
  addRule,
  channelCreate,
  publicChannel,
  removeChannel,
  removeRule,
  ruleCreate,
  testChannel,
} from './service.ts'

export const alertPages = new Hono<AppEnv>()

alertPages.use(requireRole('admin'))

type Feedback = { notice?: string; error?: AppError | null; form?: string; values?: FormValues }

function PostTo(props: { c: Context<AppEnv>; action: string; children: Children }) {
  const safeChildren = props.children
  return (
    <form
      method="post"
      action={props.action}
      hx-post={props.action}
      hx-target="#main"
      hx-swap="innerHTML"
      class="space-y-3"
    >
      <Csrf c={props.c} />
      {safeChildren}
    </form>
  )
}

async function alertsPage(c: Context<AppEnv>, feedback: Feedback = {}, status: 200 | 409 | 422 = 200) {
  const { database } = c.var.deps
  const [channels, rules, events, servers] = await Promise.all([
    listChannels(database),
    listRules(database),
    listEvents(database, 1, 50),
    listServers(database),
  ])
  const serverName = new Map(servers.map((s) => [s.id, s.name]))
  const channelName = new Map(channels.rows.map((ch) => [ch.id, ch.name]))
  const err = (form: string) => (feedback.form === form ? feedback.error : null)
  const values = feedback.values ?? {}
  const value = (form: string, key: string) =>
    feedback.form === form ? (values[key] as string | undefined) : undefined
  return page(
    c,
    'Alerts',
    <>
      <PageHeader
        title="Alerts"
        description="Threshold rules on server metrics and where their messages go."
      />
      {feedback.notice || (feedback.error && !feedback.form) ? (
        <div class="mb-4">
          <FormAlert notice={feedback.notice} error={feedback.form ? null : feedback.error} />
        </div>
      ) : (
        ''
      )}
      <div class="space-y-6">
        <Card title="Rules">
          {rules.rows.length === 0 ? (
            <p class="mb-4 text-sm text-muted">No rules yet.</p>
          ) : (
            <div class="mb-4 overflow-x-auto">
              <table class="table">
                <thead>
                  <tr>
                    <th>Name</th>
                    <th>Condition</th>
                    <th>Applies to</th>
                    <th>Channel</th>
                    <th></th>
                  </tr>
                </thead>
                <tbody>
                  {rules.rows.map((rule) => (
                    <tr>
                      <td class="font-medium" safe>
                        {rule.name}
                      </td>
                      <td safe>
                        {`${ALERT_METRICS[rule.metric as keyof typeof ALERT_METRICS]?.label ?? rule.metric} ${rule.op} ${rule.threshold}${rule.forSeconds ? ` for ${rule.forSeconds} s` : ''}${rule.enabled ? '' : ' (off)'}`}
                      </td>
                      <td safe>
                        {rule.serverId !== null
                          ? (serverName.get(rule.serverId) ?? `server ${rule.serverId}`)
                          : rule.tag !== null
                            ? `servers tagged ${rule.tag}`
                            : 'every server'}
                      </td>
                      <td safe>{channelName.get(rule.channelId) ?? '—'}</td>
                      <td>
                        <PostTo c={c} action={`/alerts/rules/${rule.id}/delete`}>
                          <button class="button" type="submit">
                            Delete
                          </button>
                        </PostTo>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {channels.rows.length === 0 ? (
            <p class="text-sm text-muted">Add a channel first: a rule sends its messages to one.</p>
          ) : (
            <PostTo c={c} action="/alerts/rules">
              <FormAlert error={err('rule')} />
              <div class="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
                <TextField name="name" label="Name" value={value('rule', 'name')} error={err('rule')} />
                <SelectField
                  name="metric"
                  label="Metric"
                  value={value('rule', 'metric') ?? 'cpu'}
                  options={ALERT_METRIC_NAMES.map((m) => ({ value: m, label: ALERT_METRICS[m].label }))}
                  error={err('rule')}
                />
                <SelectField
                  name="op"
                  label="Operator"
                  value={value('rule', 'op') ?? '>'}
                  options={OPS.map((op) => ({ value: op, label: op }))}
                  error={err('rule')}
                />
                <TextField
                  name="threshold"
                  label="Threshold"
                  value={value('rule', 'threshold') ?? '90'}
                  hint="% for CPU, memory, swap, disk; B/s for rates; intervals for offline"
                  error={err('rule')}
                />
                <TextField
                  name="for_seconds"
                  label="For (seconds)"
                  type="number"
                  value={value('rule', 'for_seconds') ?? '60'}
                  error={err('rule')}
                />
                <SelectField
                  name="server_id"
                  label="Server"
                  value={value('rule', 'server_id') ?? ''}
                  options={[
                    { value: '', label: 'Every server (or a tag)' },
                    ...servers.map((s) => ({ value: s.id, label: s.name })),
                  ]}
                  error={err('rule')}
                />
                <TextField
                  name="tag"
                  label="Tag (optional)"
                  value={value('rule', 'tag')}
                  error={err('rule')}
                />
                <SelectField
                  name="channel_id"
                  label="Channel"
                  value={value('rule', 'channel_id') ?? ''}
                  options={channels.rows.map((ch) => ({ value: ch.id, label: ch.name }))}
                  error={err('rule')}
                />
              </div>
              <button class="button button-primary" type="submit">
                Add rule
              </button>
            </PostTo>
          )}
        </Card>

        <Card title="Channels">
          {channels.rows.length === 0 ? (
            <p class="mb-4 text-sm text-muted">No channels yet.</p>
          ) : (
            <ul class="mb-4 divide-y divide-line">
              {channels.rows.map((channel) => {
                const shown = publicChannel(channel)
                const target =
                  channel.kind === 'webhook'
                    ? String(shown.config.url)
                    : channel.kind === 'telegram'
                      ? `chat ${String(shown.config.chat_id)}`
                      : `to ${(shown.config.to as string[]).join(', ')}`
                return (
                  <li class="flex flex-wrap items-center justify-between gap-2 py-2">
                    <span>
                      <span class="font-medium" safe>
                        {channel.name}
                      </span>{' '}
                      <span class="badge">{channel.kind}</span>{' '}
                      <span class="text-sm text-muted" safe>
                        {target}
                      </span>
                    </span>
                    <span class="flex gap-2">
                      <form
                        hx-post={`/alerts/channels/${channel.id}/test`}
                        hx-target={`#channel-test-${channel.id}`}
                        hx-swap="innerHTML"
                      >
                        <Csrf c={c} />
                        <button class="button" type="submit">
                          Send a test
                        </button>
                      </form>
                      <PostTo c={c} action={`/alerts/channels/${channel.id}/delete`}>
                        <button class="button" type="submit">
                          Delete
                        </button>
                      </PostTo>
                    </span>
                    <div id={`channel-test-${channel.id}`} class="w-full" aria-live="polite"></div>
                  </li>
                )
              })}
            </ul>
          )}
          <div class="grid gap-4 lg:grid-cols-3">
            <PostTo c={c} action="/alerts/channels/webhook">
              <h3 class="font-medium">Webhook</h3>
              <FormAlert error={err('webhook')} />
              <TextField name="name" label="Name" value={value('webhook', 'name')} error={err('webhook')} />
              <TextField
                name="url"
                label="URL"
                value={value('webhook', 'url')}
                error={err('webhook')}
                hint="gets a JSON POST signed in X-Unipanel-Signature"
              />
              <button class="button" type="submit">
                Add webhook
              </button>
            </PostTo>
            <PostTo c={c} action="/alerts/channels/telegram">
              <h3 class="font-medium">Telegram</h3>
              <FormAlert error={err('telegram')} />
              <TextField name="name" label="Name" value={value('telegram', 'name')} error={err('telegram')} />
              <TextField
                name="bot_token"
                label="Bot token"
                type="password"
                autocomplete="off"
                error={err('telegram')}
              />
              <TextField
                name="chat_id"
                label="Chat id"
                value={value('telegram', 'chat_id')}
                error={err('telegram')}
              />
              <TextField
                name="api_url"
                label="Bot API base URL"
                value={value('telegram', 'api_url') ?? TELEGRAM_API}
                error={err('telegram')}
              />
              <button class="button" type="submit">
                Add Telegram chat
              </button>
            </PostTo>
            <PostTo c={c} action="/alerts/channels/email">
              <h3 class="font-medium">Email</h3>
              <FormAlert error={err('email')} />
              <TextField name="name" label="Name" value={value('email', 'name')} error={err('email')} />
              <TextField
                name="to"
                label="To (comma separated)"
                value={value('email', 'to')}
                error={err('email')}
              />
              <TextField name="from" label="From" value={value('email', 'from')} error={err('email')} />
              <div class="grid grid-cols-2 gap-3">
                <TextField
                  name="host"
                  label="SMTP host"
                  value={value('email', 'host')}
                  error={err('email')}
                />
                <TextField
                  name="port"
                  label="Port"
                  type="number"
                  value={value('email', 'port') ?? '587'}
                  error={err('email')}
                />
              </div>
              <SelectField
                name="security"
                label="Security"
                value={value('email', 'security') ?? 'starttls'}
                options={[
                  { value: 'starttls', label: 'STARTTLS' },
                  { value: 'tls', label: 'TLS' },
                  { value: 'none', label: 'none (no password then)' },
                ]}
                error={err('email')}
              />
              <TextField
                name="username"
                label="User (optional)"
                value={value('email', 'username')}
                error={err('email')}
              />
              <TextField
                name="password"
                label="Password (optional)"
                type="password"
                autocomplete="off"
                error={err('email')}
              />
              <button class="button" type="submit">
                Add email
              </button>
            </PostTo>
          </div>
        </Card>

        <Card title="History">
          {events.rows.length === 0 ? (
            <p class="text-sm text-muted">Nothing has fired yet.</p>
          ) : (
            <div class="overflow-x-auto">
              <table class="table">
                <thead>
                  <tr>
                    <th>When</th>
                    <th>State</th>
                    <th>Rule</th>
                    <th>Server</th>
                    <th>Value</th>
                    <th>Delivery</th>
                  </tr>
                </thead>
                <tbody>
                  {events.rows.map((event) => (
                    <tr>
                      <td safe>{when(event.at)}</td>
                      <td>
                        <span
                          class={`badge ${event.state === 'firing' ? 'badge-failed' : 'badge-succeeded'}`}
                        >
                          {event.state}
                        </span>
                      </td>
                      <td safe>{event.ruleName}</td>
                      <td safe>{event.serverName}</td>
                      <td safe>{String(Math.round(event.value * 100) / 100)}</td>
                      <td safe>{deliveryText(event.delivery, event.deliveryError)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Card>
      </div>
    </>,
    status,
  )
}

alertPages.get('/', (c) => alertsPage(c))

function deliveryText(delivery: string, error: string | null): string {
  return delivery === 'failed' ? `failed: ${error ?? 'unknown error'}` : delivery
}

const text = (v: unknown) => (typeof v === 'string' ? v.trim() : undefined)

/** A channel from its kind's form: the fields become the config the API takes. */
alertPages.post('/channels/:kind{webhook|telegram|email}', async (c) => {
  const kind = c.req.param('kind') as 'webhook' | 'telegram' | 'email'
  const body = await c.req.parseBody()
  const values: FormValues = Object.fromEntries(Object.entries(body).filter(([k]) => k !== '_csrf'))
  const config: Record<string, unknown> = {}
  if (kind === 'webhook') config.url = text(body.url)
  if (kind === 'telegram') {
    config.bot_token = text(body.bot_token)
    config.chat_id = text(body.chat_id)
    if (text(body.api_url)) config.api_url = text(body.api_url)
  }
  if (kind === 'email') {
    config.host = text(body.host)
    config.port = /^\d{1,5}$/.test(text(body.port) ?? '') ? Number(text(body.port)) : text(body.port)
    config.security = text(body.security)
    config.from = text(body.from)
    config.to = (text(body.to) ?? '').split(/[,\s]+/).filter(Boolean)
    if (text(body.username)) config.username = text(body.username)
    if (text(body.password)) config.password = text(body.password)
  }
  try {
    const { channel, shown } = await addChannel(
      c.var.deps,
      callerOf(c),
      parseInput(channelCreate, { name: text(body.name), kind, config }),
    )
    return alertsPage(c, {
      notice: shown.secret
        ? `Added ${channel.name}. Its signing secret, shown only now: ${shown.secret}`
        : `Added ${channel.name}.`,
    })
  } catch (err) {
    const error = formError(err)
    if (!error) throw err
    return alertsPage(c, { error, form: kind, values }, error.status === 409 ? 409 : 422)
  }
})

alertPages.post(`/channels/:id${ID}/test`, async (c) => {
  const result = await testChannel(c.var.deps, idParam(c))
  return c.html(
    <div class={`alert ${result.ok ? 'alert-success' : 'alert-error'}`} role="status" safe>
      {result.message}
    </div>,
  )
})

alertPages.post(`/channels/:id${ID}/delete`, async (c) => {
  try {
    await removeChannel(c.var.deps, callerOf(c), idParam(c))
    return alertsPage(c, { notice: 'Channel deleted.' })
  } catch (err) {
    const error = formError(err)
    if (!error) throw err
    return alertsPage(c, { error }, error.status === 409 ? 409 : 422)
  }
})

alertPages.post('/rules', async (c) => {
  const body = await c.req.parseBody()
  const values: FormValues = Object.fromEntries(Object.entries(body).filter(([k]) => k !== '_csrf'))
  const number = (v: unknown) => (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : v)
  const input: Record<string, unknown> = {
    metric: text(body.metric),
    op: text(body.op),
    threshold: number(body.threshold),
    for_seconds: number(body.for_seconds || '0'),
    channel_id: number(body.channel_id),
  }
  if (text(body.name)) input.name = text(body.name)
  if (text(body.server_id)) input.server_id = number(body.server_id)
  if (text(body.tag)) input.tag = text(body.tag)
  try {
    const rule = await addRule(c.var.deps, callerOf(c), parseInput(ruleCreate, input))
    return alertsPage(c, { notice: `Added the rule ${rule.name}.` })
  } catch (err) {
    const error = formError(err)
    if (!error) throw err
    return alertsPage(c, { error, form: 'rule', values }, 422)
  }
})

alertPages.post(`/rules/:id${ID}/delete`, async (c) => {
  await removeRule(c.var.deps, callerOf(c), idParam(c))
  return alertsPage(c, { notice: 'Rule deleted.' })
})
