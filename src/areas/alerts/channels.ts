/**
 * Alert channels: a webhook (JSON POST signed with HMAC-SHA256 in
 * `X-Unipanel-Signature: sha256=<hex>`), a Telegram chat (Bot API sendMessage, base URL
 * configurable) or email over SMTP. Each channel's secrets (webhook secret, bot token,
 * SMTP password) are sealed at rest and never shown again after creation. Every request
 * follows the outbound rules of SECURITY.md.
 */
import { z } from 'zod'
import type { Deps } from '../../deps.ts'
import { hmacHex, randomToken, secretBox } from '../../lib/crypto.ts'
import { email, host, httpUrl, line } from '../../lib/grammar.ts'
import { OutboundError, outboundFetch } from '../../lib/outbound.ts'
import { sendMail } from './smtp.ts'

export const CHANNEL_KINDS = ['webhook', 'telegram', 'email'] as const
export type ChannelKind = (typeof CHANNEL_KINDS)[number]

const secretText = z
  .string()
  .min(1, 'is required')
  .max(512, 'must be at most 512 characters')
  .refine((v) => !/[\r\n\0]/.test(v), 'must be one line')

export const webhookConfig = z.object({ url: httpUrl, secret: secretText.optional() }).strict()
export const telegramConfig = z
  .object({
    bot_token: z.string().regex(/^\d{1,20}:[A-Za-z0-9_-]{20,100}$/, 'is not a Telegram bot token'),
    chat_id: z.union([
      z.string().regex(/^(-?\d{1,20}|@[A-Za-z0-9_]{5,32})$/, 'is not a chat id'),
      z.number().int(),
    ]),
    api_url: httpUrl.optional(),
  })
  .strict()
export const emailConfig = z
  .object({
    host,
    port: z.number().int().min(1).max(65535).default(587),
    security: z.enum(['starttls', 'tls', 'none']).default('starttls'),
    username: line(254).min(1).optional(),
    password: secretText.optional(),
    from: email,
    to: z.array(email).min(1).max(20),
  })
  .strict()

/** Which config keys are secret, per kind (sealed, never sent back). */
const SECRET_KEYS: Record<ChannelKind, string[]> = {
  webhook: ['secret'],
  telegram: ['bot_token'],
  email: ['password'],
}

export const TELEGRAM_API = 'https://api.telegram.org'

export type ChannelRow = {
  id: number
  name: string
  kind: ChannelKind
  config: Record<string, unknown>
  sealedSecrets: string | null
  enabled: boolean
}

const box = (deps: Deps) => secretBox(deps.config.secret, 'alert-channels')

/**
 * Splits a validated config into what is stored in the clear and the sealed secrets.
 * A webhook without a secret gets a generated one, returned once in `shown`.
 */
export function sealConfig(
  deps: Deps,
  kind: ChannelKind,
  config: Record<string, unknown>,
): { config: Record<string, unknown>; sealedSecrets: string | null; shown: Record<string, string> } {
  const clear: Record<string, unknown> = {}
  const secrets: Record<string, unknown> = {}
  const shown: Record<string, string> = {}
  for (const [key, value] of Object.entries(config)) {
    if (SECRET_KEYS[kind].includes(key)) secrets[key] = value
    else if (value !== undefined) clear[key] = value
  }
  if (kind === 'webhook' && !secrets.secret) {
    secrets.secret = randomToken(32)
    shown.secret = secrets.secret as string
  }
  const sealedSecrets = Object.keys(secrets).length ? box(deps).seal(JSON.stringify(secrets)) : null
  return { config: clear, sealedSecrets, shown }
}

function openSecrets(deps: Deps, channel: ChannelRow): Record<string, string> {
  return channel.sealedSecrets ? JSON.parse(box(deps).open(channel.sealedSecrets)) : {}
}

/** What an alert says, already masked. */
export type AlertMessage = {
  state: 'firing' | 'resolved' | 'test'
  title: string
  text: string
  /** Structured fields for webhooks. */
  fields: Record<string, unknown>
}

export class DeliveryError extends Error {}

/** Sends one message to one channel; throws DeliveryError with a sentence on failure. */
export async function deliver(deps: Deps, channel: ChannelRow, message: AlertMessage): Promise<void> {
  const secrets = openSecrets(deps, channel)
  const allow = deps.config.outboundAllow
  try {
    if (channel.kind === 'webhook') {
      const body = JSON.stringify({
        ...message.fields,
        state: message.state,
        title: message.title,
        text: message.text,
      })
      const res = await outboundFetch(
        String(channel.config.url),
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-unipanel-signature': `sha256=${hmacHex(secrets.secret ?? '', body)}`,
          },
          body,
        },
        { allow },
      )
      if (res.status < 200 || res.status >= 300) throw new DeliveryError(`the webhook answered ${res.status}`)
      return
    }
    if (channel.kind === 'telegram') {
      const base = String(channel.config.api_url ?? TELEGRAM_API).replace(/\/+$/, '')
      const res = await outboundFetch(
        `${base}/bot${secrets.bot_token}/sendMessage`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            chat_id: channel.config.chat_id,
            text: `${message.title}\n${message.text}`,
            disable_web_page_preview: true,
          }),
        },
        { allow },
      )
      let answer: { ok?: boolean; description?: string } = {}
      try {
        answer = JSON.parse(res.text)
      } catch {
        // Not JSON: judged by the status alone.
      }
      if (res.status !== 200 || answer.ok !== true) {
        throw new DeliveryError(
          `Telegram refused the message (${res.status}${answer.description ? `: ${answer.description}` : ''})`,
        )
      }
      return
    }
    const config = channel.config as {
      host: string
      port: number
      security: 'starttls' | 'tls' | 'none'
      username?: string
      from: string
      to: string[]
    }
    await sendMail(
      {
        host: config.host,
        port: config.port,
        security: config.security,
        username: config.username,
        password: secrets.password,
      },
      { from: config.from, to: config.to, subject: message.title, text: message.text },
      { allow, heloName: new URL(deps.config.publicUrl).hostname },
    )
  } catch (err) {
    if (err instanceof DeliveryError) throw err
    if (err instanceof OutboundError) throw new DeliveryError(err.message)
    throw new DeliveryError((err as Error).message.split('\n')[0] ?? 'delivery failed')
  }
}

/** The config as it may be shown: secrets replaced by whether they are set. */
export function publicConfig(channel: ChannelRow): Record<string, unknown> {
  const shown: Record<string, unknown> = { ...channel.config }
  for (const key of SECRET_KEYS[channel.kind]) shown[`${key}_set`] = channel.sealedSecrets !== null
  return shown
}
