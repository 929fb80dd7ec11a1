/**
 * Alerts end to end: an always-true rule reaches a webhook with a valid signature, a
 * Telegram chat (a loopback server speaking the Bot API) and a mailbox (a loopback SMTP
 * server); messages carry no address and only masked domains.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { alertEngine } from '../../src/areas/alerts/engine.ts'
import { sendMail } from '../../src/areas/alerts/smtp.ts'
import { ingestFor } from '../../src/areas/metrics/ingest.ts'
import { hmacHex } from '../../src/lib/crypto.ts'
import { hasTool, localhostCertificate, type TestPanel, testPanel } from '../helpers.ts'
import { makeSample } from '../metrics/support.ts'
import { startSmtpServer } from './smtp-server.ts'

let panel: TestPanel
let token: string
let serverId: number

type Hit = { path: string; headers: Headers; body: string }
const hits: Hit[] = []
const hook = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  async fetch(req) {
    const url = new URL(req.url)
    const body = await req.text()
    hits.push({ path: url.pathname, headers: req.headers, body })
    if (url.pathname.startsWith('/bot')) {
      // The Telegram Bot API: /bot<token>/sendMessage, JSON in and out.
      if (url.pathname !== `/bot${BOT_TOKEN}/sendMessage`)
        return Response.json({ ok: false, error_code: 401, description: 'Unauthorized' }, { status: 401 })
      const message = JSON.parse(body) as { chat_id: number | string; text: string }
      return Response.json({
        ok: true,
        result: { message_id: hits.length, chat: { id: message.chat_id }, text: message.text },
      })
    }
    return new Response('ok')
  },
})
const BOT_TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw_'

beforeAll(async () => {
  panel = await testPanel({ UNIPANEL_OUTBOUND_ALLOW: '127.0.0.1/32' })
  token = await panel.token(await panel.createUser('admin'))
  const res = await panel.api(token, 'POST', '/servers', {
    name: 'web1.example.com',
    host: '203.0.113.7',
    connection: 'ssh',
    tags: ['web'],
    host_key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl',
  })
  serverId = ((await res.json()) as { id: number }).id
})
afterAll(async () => {
  hook.stop(true)
  await panel.dispose()
})

const post = async (path: string, json: unknown) => {
  const res = await panel.api(token, 'POST', path, json)
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

/** Makes a rule that is always true on our server, fires it with one sample, waits for delivery. */
async function fireOnce(channelId: number, name: string) {
  const rule = await post('/alerts/rules', {
    name,
    metric: 'cpu',
    op: '>=',
    threshold: 0,
    server_id: serverId,
    channel_id: channelId,
  })
  expect(rule.status).toBe(201)
  // Rules reach the engine through an event; wait for the reload, then sample.
  await alertEngine(panel.deps).idle()
  ingestFor(panel.deps).accept(serverId, [makeSample({ cpu_percent: 55 })])
  await alertEngine(panel.deps).idle()
  await panel.api(token, 'PATCH', `/alerts/rules/${rule.body.id}`, { enabled: false })
  await alertEngine(panel.deps).idle()
}

const lastEvent = async () => {
  const res = await panel.api(token, 'GET', '/alerts/events?per_page=1')
  return ((await res.json()) as { data: Record<string, unknown>[] }).data[0]!
}

const masked = (text: string) => {
  expect(text).not.toContain('203.0.113.7')
  expect(text).not.toContain('example.com')
  expect(text).toContain('we**.ex*****.com')
}

describe('alert channels', () => {
  test('an always-true rule reaches a webhook with a valid HMAC signature', async () => {
    const channel = await post('/alerts/channels', {
      name: 'hook',
      kind: 'webhook',
      config: { url: `http://127.0.0.1:${hook.port}/alerts` },
    })
    expect(channel.status).toBe(201)
    const secret = channel.body.secret as string
    expect(secret.length).toBeGreaterThan(20)
    // The secret is shown once: never again.
    const again = await (await panel.api(token, 'GET', `/alerts/channels/${channel.body.id}`)).json()
    expect(JSON.stringify(again)).not.toContain(secret)
    expect(again).toMatchObject({ config: { url: expect.any(String), secret_set: true } })

    await fireOnce(channel.body.id as number, 'cpu busy')
    const hit = hits.find((h) => h.path === '/alerts')!
    expect(hit).toBeDefined()
    expect(hit.headers.get('content-type')).toBe('application/json')
    expect(hit.headers.get('x-unipanel-signature')).toBe(`sha256=${hmacHex(secret, hit.body)}`)
    expect(hit.headers.get('x-unipanel-signature')).not.toBe(`sha256=${hmacHex('wrong', hit.body)}`)
    const payload = JSON.parse(hit.body) as Record<string, unknown>
    expect(payload).toMatchObject({ state: 'firing', metric: 'cpu', value: 55, server_id: serverId })
    masked(hit.body)
    const event = await lastEvent()
    expect(event).toMatchObject({ state: 'firing', delivery: 'sent', rule_name: 'cpu busy' })
    masked(event.message as string)
  })

  test('Telegram: sendMessage on the configured Bot API base URL', async () => {
    const channel = await post('/alerts/channels', {
      name: 'tg',
      kind: 'telegram',
      config: { bot_token: BOT_TOKEN, chat_id: '-1001234567890', api_url: `http://127.0.0.1:${hook.port}` },
    })
    expect(channel.status).toBe(201)
    expect(JSON.stringify(channel.body)).not.toContain(BOT_TOKEN)
    const before = hits.length
    await fireOnce(channel.body.id as number, 'telegram rule')
    const hit = hits.slice(before).find((h) => h.path.endsWith('/sendMessage'))!
    expect(hit.path).toBe(`/bot${BOT_TOKEN}/sendMessage`)
    const message = JSON.parse(hit.body) as { chat_id: string; text: string }
    expect(message.chat_id).toBe('-1001234567890')
    expect(message.text).toStartWith('[FIRING] telegram rule')
    masked(message.text)
    expect(await lastEvent()).toMatchObject({ delivery: 'sent' })
  })

  test('Telegram: a refused bot token is reported', async () => {
    const channel = await post('/alerts/channels', {
      name: 'tg-bad',
      kind: 'telegram',
      config: {
        bot_token: '999:AAAAAAAAAAAAAAAAAAAAAAAAAAAA',
        chat_id: 42,
        api_url: `http://127.0.0.1:${hook.port}`,
      },
    })
    const tested = await post(`/alerts/channels/${channel.body.id}/test`, {})
    expect(tested.body).toEqual({ ok: false, message: 'Telegram refused the message (401: Unauthorized)' })
  })

  test('email over SMTP to a loopback server', async () => {
    const smtp = await startSmtpServer()
    try {
      const channel = await post('/alerts/channels', {
        name: 'mail',
        kind: 'email',
        config: {
          host: '127.0.0.1',
          port: smtp.port,
          security: 'none',
          from: 'panel@example.net',
          to: ['ops@example.org', 'oncall@example.org'],
        },
      })
      expect(channel.status).toBe(201)
      await fireOnce(channel.body.id as number, 'mail rule')
      expect(smtp.received).toHaveLength(1)
      const mail = smtp.received[0]!
      expect(mail.from).toBe('panel@example.net')
      expect(mail.to).toEqual(['ops@example.org', 'oncall@example.org'])
      expect(mail.data).toContain('Subject: [FIRING] mail rule: CPU >= 0.0 % on we**.ex*****.com')
      expect(mail.data).toContain('Content-Type: text/plain; charset=utf-8')
      const body = mail.data.split('\r\n\r\n').slice(1).join('\n')
      masked(body)
      expect(await lastEvent()).toMatchObject({ delivery: 'sent' })
    } finally {
      await smtp.close()
    }
  })

  test('email over STARTTLS with AUTH PLAIN, checking the certificate', async () => {
    if (!hasTool('openssl')) return
    const { cert, key } = await localhostCertificate()
    const smtp = await startSmtpServer({
      cert,
      key: key,
      password: 's3cret',
    })
    try {
      const server = {
        host: 'localhost',
        port: smtp.port,
        security: 'starttls' as const,
        username: 'panel',
        password: 's3cret',
      }
      const mail = {
        from: 'panel@example.net',
        to: ['ops@example.org'],
        subject: 'Zürich',
        text: '.dot first\nline two',
      }
      await sendMail(server, mail, { allow: ['127.0.0.0/8'], ca: cert })
      expect(smtp.received).toHaveLength(1)
      expect(smtp.received[0]).toMatchObject({ user: 'panel', tls: true })
      expect(smtp.received[0]!.data).toContain('Subject: =?UTF-8?B?')
      expect(smtp.received[0]!.data).toContain('\r\n.dot first\r\nline two')
      // A wrong password is a clear refusal; without TLS no password is sent at all.
      await expect(
        sendMail({ ...server, password: 'nope' }, mail, { allow: ['127.0.0.0/8'], ca: cert }),
      ).rejects.toThrow(/user name or password/)
      await expect(
        sendMail({ ...server, security: 'none' }, mail, { allow: ['127.0.0.0/8'] }),
      ).rejects.toThrow(/without TLS/)
      // Without trusting the test CA the certificate check fails.
      await expect(sendMail(server, mail, { allow: ['127.0.0.0/8'] })).rejects.toThrow(/TLS/)
    } finally {
      await smtp.close()
    }
  })

  test('outbound rules: a loopback target outside UNIPANEL_OUTBOUND_ALLOW is refused', async () => {
    const channel = await post('/alerts/channels', {
      name: 'hook-elsewhere',
      kind: 'webhook',
      config: { url: `http://127.0.0.2:${hook.port}/x`, secret: 'given-secret' },
    })
    expect(channel.body.secret).toBeUndefined()
    const before = hits.length
    const tested = await post(`/alerts/channels/${channel.body.id}/test`, {})
    expect(tested.body.ok).toBe(false)
    expect(tested.body.message).toContain('UNIPANEL_OUTBOUND_ALLOW')
    expect(hits.length).toBe(before)
  })

  test('channel input is checked per kind; channels used by rules cannot be deleted', async () => {
    const bad = await post('/alerts/channels', { name: 'x', kind: 'webhook', config: { url: 'ftp://x' } })
    expect(bad.status).toBe(422)
    expect(bad.body).toMatchObject({ error: { fields: { 'config.url': expect.any(String) } } })
    const tg = await post('/alerts/channels', {
      name: 'y',
      kind: 'telegram',
      config: { bot_token: 'x', chat_id: 1 },
    })
    expect(tg.status).toBe(422)
    const list = (await (await panel.api(token, 'GET', '/alerts/channels')).json()) as {
      data: { id: number; name: string }[]
    }
    const used = list.data.find((c) => c.name === 'hook')!
    const res = await panel.api(token, 'DELETE', `/alerts/channels/${used.id}`)
    expect(res.status).toBe(409)
  })

  test('only admins reach the alerts API', async () => {
    const userToken = await panel.token(await panel.createUser('user'))
    expect((await panel.api(userToken, 'GET', '/alerts/rules')).status).toBe(403)
    expect((await panel.api(userToken, 'GET', '/alerts/events')).status).toBe(403)
  })
})
