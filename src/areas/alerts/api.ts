/** /api/v1/alerts: channels, rules and the alert history (admins). */
import { Hono } from 'hono'
import { z } from 'zod'
import { registerOperation } from '../../api/openapi.ts'
import { listQuery, validJson, validQuery } from '../../api/validate.ts'
import { callerOf, ID, idParam } from '../../auth/caller.ts'
import { requireRole } from '../../auth/middleware.ts'
import type { AppEnv } from '../../lib/env.ts'
import { listChannels, listEvents, listRules } from './repository.ts'
import {
  addChannel,
  addRule,
  changeChannel,
  changeRule,
  channelCreate,
  channelUpdate,
  getChannel,
  getRule,
  publicChannel,
  publicEvent,
  publicRule,
  removeChannel,
  removeRule,
  ruleCreate,
  ruleUpdate,
  testChannel,
} from './service.ts'

export const alertsApi = new Hono<AppEnv>()

alertsApi.use(requireRole('admin'))

alertsApi.get('/channels', validQuery(listQuery), async (c) => {
  const q = c.req.valid('query')
  const { rows, total } = await listChannels(c.var.deps.database, q.page, q.per_page)
  return c.json({ data: rows.map(publicChannel), total })
})

alertsApi.post('/channels', validJson(channelCreate), async (c) => {
  const { channel, shown } = await addChannel(c.var.deps, callerOf(c), c.req.valid('json'))
  return c.json({ ...publicChannel(channel), ...shown }, 201)
})

alertsApi.get(`/channels/:id${ID}`, async (c) =>
  c.json(publicChannel(await getChannel(c.var.deps, idParam(c)))),
)

alertsApi.patch(`/channels/:id${ID}`, validJson(channelUpdate), async (c) =>
  c.json(publicChannel(await changeChannel(c.var.deps, callerOf(c), idParam(c), c.req.valid('json')))),
)

alertsApi.delete(`/channels/:id${ID}`, async (c) => {
  await removeChannel(c.var.deps, callerOf(c), idParam(c))
  return c.body(null, 204)
})

alertsApi.post(`/channels/:id${ID}/test`, async (c) => c.json(await testChannel(c.var.deps, idParam(c))))

alertsApi.get('/rules', validQuery(listQuery), async (c) => {
  const q = c.req.valid('query')
  const { rows, total } = await listRules(c.var.deps.database, q.page, q.per_page)
  return c.json({ data: rows.map(publicRule), total })
})

alertsApi.post('/rules', validJson(ruleCreate), async (c) => {
  return c.json(publicRule(await addRule(c.var.deps, callerOf(c), c.req.valid('json'))), 201)
})

alertsApi.get(`/rules/:id${ID}`, async (c) => c.json(publicRule(await getRule(c.var.deps, idParam(c)))))

alertsApi.patch(`/rules/:id${ID}`, validJson(ruleUpdate), async (c) =>
  c.json(publicRule(await changeRule(c.var.deps, callerOf(c), idParam(c), c.req.valid('json')))),
)

alertsApi.delete(`/rules/:id${ID}`, async (c) => {
  await removeRule(c.var.deps, callerOf(c), idParam(c))
  return c.body(null, 204)
})

alertsApi.get('/events', validQuery(listQuery), async (c) => {
  const q = c.req.valid('query')
  const { rows, total } = await listEvents(c.var.deps.database, q.page, q.per_page)
  return c.json({ data: rows.map(publicEvent), total })
})

const tag = 'alerts'
const list = (summary: string, path: string) =>
  registerOperation({
    method: 'get',
    path,
    summary,
    tag,
    query: listQuery,
    responses: { 200: '{data, total}' },
  })
list('Alert channels (secrets are never shown, only whether they are set)', '/alerts/channels')
list('Alert rules', '/alerts/rules')
list('Alert history, newest first: every firing and resolution with its delivery outcome', '/alerts/events')
registerOperation({
  method: 'post',
  path: '/alerts/channels',
  summary:
    'Add a channel. webhook: {url, secret?} (a generated secret is in this answer only); telegram: {bot_token, chat_id, api_url?}; email: {host, port?, security?, username?, password?, from, to[]}',
  tag,
  body: channelCreate,
  responses: { 201: 'the channel', 409: 'the name is taken' },
})
registerOperation({
  method: 'get',
  path: '/alerts/channels/{id}',
  summary: 'One channel',
  tag,
  responses: { 200: 'the channel' },
})
registerOperation({
  method: 'patch',
  path: '/alerts/channels/{id}',
  summary: 'Rename, turn on or off',
  tag,
  body: channelUpdate,
  responses: { 200: 'the channel' },
})
registerOperation({
  method: 'delete',
  path: '/alerts/channels/{id}',
  summary: 'Delete a channel no rule uses',
  tag,
  responses: { 204: 'deleted', 409: 'rules use it' },
})
registerOperation({
  method: 'post',
  path: '/alerts/channels/{id}/test',
  summary: 'Send a test message',
  tag,
  responses: {
    200: { description: 'the outcome', schema: z.object({ ok: z.boolean(), message: z.string() }) },
  },
})
registerOperation({
  method: 'post',
  path: '/alerts/rules',
  summary:
    'Add a rule: metric (cpu, memory, swap, disk, load1/5/15, net_rx, net_tx, disk_read, disk_write, processes, offline), op, threshold, for_seconds, server_id or tag (or neither: every server), channel_id',
  tag,
  body: ruleCreate,
  responses: { 201: 'the rule' },
})
registerOperation({
  method: 'get',
  path: '/alerts/rules/{id}',
  summary: 'One rule',
  tag,
  responses: { 200: 'the rule' },
})
registerOperation({
  method: 'patch',
  path: '/alerts/rules/{id}',
  summary: 'Change a rule (its current state starts over)',
  tag,
  body: ruleUpdate,
  responses: { 200: 'the rule' },
})
registerOperation({
  method: 'delete',
  path: '/alerts/rules/{id}',
  summary: 'Delete a rule',
  tag,
  responses: { 204: 'deleted' },
})
