/**
 * /api/v1/servers: the inventory (admins), the panel's SSH key, agent tokens, and each
 * server's metrics — history and the last sample — for whoever may see that server.
 */
import { type Context, Hono } from 'hono'
import { z } from 'zod'
import { registerOperation } from '../../api/openapi.ts'
import { listQuery, validJson, validQuery } from '../../api/validate.ts'
import { callerOf, ID, idParam } from '../../auth/caller.ts'
import { requireRole } from '../../auth/middleware.ts'
import type { AppEnv } from '../../lib/env.ts'
import { notFound } from '../../lib/errors.ts'
import { panelSshKey } from '../../lib/ssh-key.ts'
import { historyQuery, metricsHistory, publicPoint } from '../metrics/query.ts'
import { latestSample } from '../metrics/store.ts'
import { pageServers } from './repository.ts'
import { serverCreate, serverUpdate } from './schemas.ts'
import { addServer, changeServer, getServer, newAgentToken, publicServer, removeServer } from './service.ts'
import { testConnection } from './ssh.ts'
import { visibleServers } from './visibility.ts'

export const serversApi = new Hono<AppEnv>()

const admin = requireRole('admin')

/** The one-line command that authorizes the panel's key on a server. */
export function authorizedKeysCommand(publicKey: string): string {
  return `mkdir -p ~/.ssh && chmod 700 ~/.ssh && echo '${publicKey}' >> ~/.ssh/authorized_keys && chmod 600 ~/.ssh/authorized_keys`
}

serversApi.get('/', admin, validQuery(listQuery), async (c) => {
  const q = c.req.valid('query')
  const { rows, total } = await pageServers(c.var.deps.database, {
    q: q.q,
    page: q.page,
    perPage: q.per_page,
  })
  return c.json({ data: rows.map(publicServer), total })
})

serversApi.post('/', admin, validJson(serverCreate), async (c) => {
  const server = await addServer(c.var.deps, callerOf(c), c.req.valid('json'))
  return c.json(publicServer(server), 201)
})

serversApi.get('/ssh-key', admin, async (c) => {
  const { publicKey } = await panelSshKey(c.var.deps)
  return c.json({ public_key: publicKey, authorized_keys_command: authorizedKeysCommand(publicKey) })
})

serversApi.get(`/:id${ID}`, admin, async (c) => {
  return c.json(publicServer(await getServer(c.var.deps, idParam(c))))
})

serversApi.patch(`/:id${ID}`, admin, validJson(serverUpdate), async (c) => {
  return c.json(publicServer(await changeServer(c.var.deps, callerOf(c), idParam(c), c.req.valid('json'))))
})

serversApi.delete(`/:id${ID}`, admin, async (c) => {
  await removeServer(c.var.deps, callerOf(c), idParam(c))
  return c.body(null, 204)
})

serversApi.post(`/:id${ID}/test-connection`, admin, async (c) => {
  return c.json(await testConnection(c.var.deps, await getServer(c.var.deps, idParam(c))))
})

serversApi.post(`/:id${ID}/agent-token`, admin, async (c) => {
  return c.json({ token: await newAgentToken(c.var.deps, callerOf(c), idParam(c)) }, 201)
})

/** A server the caller may see, else 404 (another tenant's server is not confirmed to exist). */
async function visibleServer(c: Context<AppEnv>) {
  const id = idParam(c)
  const visible = await visibleServers(c.var.deps, c.var.user!)
  if (!visible.has(id)) throw notFound('the server')
  return getServer(c.var.deps, id)
}

serversApi.get(`/:id${ID}/metrics`, validQuery(historyQuery), async (c) => {
  const server = await visibleServer(c)
  const result = await metricsHistory(c.var.deps, server.id, c.req.valid('query'))
  return c.json({
    server_id: server.id,
    step: result.step === 'minute' ? '1m' : result.step === 'hour' ? '1h' : 'raw',
    since: new Date(result.since).toISOString(),
    until: new Date(result.until).toISOString(),
    data: result.points.map(publicPoint),
    total: result.points.length,
  })
})

serversApi.get(`/:id${ID}/metrics/latest`, async (c) => {
  const server = await visibleServer(c)
  const latest = await latestSample(c.var.deps.database, server.id)
  if (!latest) throw notFound('a sample of this server (none has arrived yet)')
  return c.json({ server_id: server.id, ...latest.sample })
})

const tag = 'servers'
const serverOut = z.object({
  id: z.number(),
  name: z.string(),
  host: z.string(),
  port: z.number(),
  user: z.string(),
  connection: z.enum(['local', 'ssh']),
  host_key: z.string().nullable(),
  host_key_fingerprints: z.array(z.string()),
  tags: z.array(z.string()),
  notes: z.string(),
  status: z.enum(['online', 'offline', 'unknown']),
  last_seen_at: z.string().nullable(),
  facts: z.record(z.string(), z.unknown()),
  created_at: z.string(),
  updated_at: z.string(),
})
const pointOut = z.object({
  at: z.string(),
  cpu: z.number(),
  memory: z.number(),
  swap: z.number(),
  disk: z.number(),
  load1: z.number(),
  net_rx: z.number(),
  net_tx: z.number(),
  disk_read: z.number(),
  disk_write: z.number(),
})

registerOperation({
  method: 'get',
  path: '/servers',
  summary: 'List servers (admins), the panel’s own host first',
  tag,
  query: listQuery,
  responses: {
    200: { description: '{data, total}', schema: z.object({ data: z.array(serverOut), total: z.number() }) },
  },
})
registerOperation({
  method: 'post',
  path: '/servers',
  summary: 'Add an SSH server; its host key is read with ssh-keyscan (or taken from host_key) and recorded',
  tag,
  body: serverCreate,
  responses: {
    201: { description: 'the server, with its recorded host key', schema: serverOut },
    409: 'the name is taken, or connection is local',
  },
})
registerOperation({
  method: 'get',
  path: '/servers/ssh-key',
  summary: 'The panel’s SSH public key and a one-line command that authorizes it on a server',
  tag,
  responses: {
    200: {
      description: 'the key',
      schema: z.object({ public_key: z.string(), authorized_keys_command: z.string() }),
    },
  },
})
registerOperation({
  method: 'get',
  path: '/servers/{id}',
  summary: 'One server',
  tag,
  responses: { 200: { description: 'the server', schema: serverOut } },
})
registerOperation({
  method: 'patch',
  path: '/servers/{id}',
  summary: 'Change a server; a new host or port (or rescan_host_key) records the host key again',
  tag,
  body: serverUpdate,
  responses: { 200: { description: 'the server', schema: serverOut } },
})
registerOperation({
  method: 'delete',
  path: '/servers/{id}',
  summary: 'Delete a server; refused (409, listing them) while websites, databases or zones are on it',
  tag,
  responses: { 204: 'deleted', 409: 'the server still has dependents, or is the panel’s own host' },
})
registerOperation({
  method: 'post',
  path: '/servers/{id}/test-connection',
  summary: 'Connect over SSH with the panel’s key, checking the recorded host key (BatchMode)',
  tag,
  responses: {
    200: { description: 'the outcome', schema: z.object({ ok: z.boolean(), message: z.string() }) },
  },
})
registerOperation({
  method: 'post',
  path: '/servers/{id}/agent-token',
  summary:
    'Issue the token `unipanel agent` pushes samples with (shown once; the previous one stops working)',
  tag,
  responses: { 201: { description: 'the token', schema: z.object({ token: z.string() }) } },
})
registerOperation({
  method: 'get',
  path: '/servers/{id}/metrics',
  summary: 'Metrics history: since (time or span such as 24h), until, step (raw, 1m, 1h or auto)',
  tag,
  query: historyQuery,
  responses: {
    200: {
      description: 'points, oldest first',
      schema: z.object({
        server_id: z.number(),
        step: z.enum(['raw', '1m', '1h']),
        since: z.string(),
        until: z.string(),
        data: z.array(pointOut),
        total: z.number(),
      }),
    },
  },
})
registerOperation({
  method: 'get',
  path: '/servers/{id}/metrics/latest',
  summary: 'The server’s last full sample (per core, per mount); 404 until a first sample arrived',
  tag,
  responses: { 200: 'the sample' },
})
