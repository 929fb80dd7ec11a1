/**
 * Alerts, the domain side: channels and rules with their validation, audit rows and the
 * announcement that makes every process reload its rules; a test message per channel.
 */
import { z } from 'zod'
import { fieldErrors } from '../../api/validate.ts'
import type { Caller } from '../../auth/caller.ts'
import type { Deps } from '../../deps.ts'
import { AppError, notFound } from '../../lib/errors.ts'
import { line } from '../../lib/grammar.ts'
import { recordAudit } from '../audit/record.ts'
import { findServer } from '../servers/repository.ts'
import { tag as tagGrammar } from '../servers/schemas.ts'
import {
  CHANNEL_KINDS,
  type ChannelKind,
  DeliveryError,
  deliver,
  emailConfig,
  publicConfig,
  sealConfig,
  telegramConfig,
  webhookConfig,
} from './channels.ts'
import { ALERTS_CHANGED } from './engine.ts'
import { maskPrivate } from './mask.ts'
import { ALERT_METRIC_NAMES, OPS } from './metrics.ts'
import {
  type AlertEvent,
  asChannelRow,
  type Channel,
  createChannel,
  createRule,
  deleteChannel,
  deleteRule,
  findChannel,
  findRule,
  type Rule,
  type RuleInput,
  updateChannel,
  updateRule,
} from './repository.ts'

const CONFIGS = { webhook: webhookConfig, telegram: telegramConfig, email: emailConfig } as const

export const channelName = line(100).min(1, 'is required')

export const channelCreate = z
  .object({
    name: channelName,
    kind: z.enum(CHANNEL_KINDS),
    config: z.record(z.string(), z.unknown()),
    enabled: z.boolean().default(true),
  })
  .strict()

export const channelUpdate = z.object({ name: channelName, enabled: z.boolean() }).partial().strict()

const ruleFields = {
  name: line(100).min(1, 'is required'),
  metric: z.enum(ALERT_METRIC_NAMES),
  op: z.enum(OPS),
  threshold: z.number().finite(),
  for_seconds: z.number().int().min(0).max(86_400),
  hysteresis: z.number().finite().min(0),
  server_id: z.number().int().positive().nullable(),
  tag: tagGrammar.nullable(),
  channel_id: z.number().int().positive(),
  enabled: z.boolean(),
}

export const ruleCreate = z
  .object({
    ...ruleFields,
    name: ruleFields.name.optional(),
    op: ruleFields.op.default('>'),
    for_seconds: ruleFields.for_seconds.default(0),
    hysteresis: ruleFields.hysteresis.optional(),
    server_id: ruleFields.server_id.optional(),
    tag: ruleFields.tag.optional(),
    enabled: ruleFields.enabled.default(true),
  })
  .strict()

/** No defaults here: a change names only what changes. */
export const ruleUpdate = z.object(ruleFields).partial().strict()

export function publicChannel(channel: Channel) {
  return {
    id: channel.id,
    name: channel.name,
    kind: channel.kind,
    config: publicConfig(asChannelRow(channel)),
    enabled: channel.enabled,
    created_at: channel.createdAt.toISOString(),
    updated_at: channel.updatedAt.toISOString(),
  }
}

export function publicRule(rule: Rule) {
  return {
    id: rule.id,
    name: rule.name,
    metric: rule.metric,
    op: rule.op,
    threshold: rule.threshold,
    for_seconds: rule.forSeconds,
    hysteresis: rule.hysteresis,
    server_id: rule.serverId,
    tag: rule.tag,
    channel_id: rule.channelId,
    enabled: rule.enabled,
    created_at: rule.createdAt.toISOString(),
    updated_at: rule.updatedAt.toISOString(),
  }
}

export function publicEvent(event: AlertEvent) {
  return {
    id: event.id,
    at: event.at.toISOString(),
    rule_id: event.ruleId,
    rule_name: event.ruleName,
    server_id: event.serverId,
    server_name: event.serverName,
    state: event.state,
    metric: event.metric,
    value: event.value,
    threshold: event.threshold,
    message: event.message,
    channel_id: event.channelId,
    delivery: event.delivery,
    delivery_error: event.deliveryError,
  }
}

/** Validates a channel's config against its kind, with field paths under `config.`. */
function checkConfig(kind: ChannelKind, config: Record<string, unknown>): Record<string, unknown> {
  const result = CONFIGS[kind].safeParse(config)
  if (!result.success) {
    const fields = Object.fromEntries(
      Object.entries(fieldErrors(result.error)).map(([key, message]) => [`config.${key}`, message]),
    )
    const [first] = Object.entries(fields)
    throw new AppError('invalid', first ? `${first[0]} ${first[1]}` : 'config is invalid', fields)
  }
  return result.data as Record<string, unknown>
}

export async function addChannel(deps: Deps, caller: Caller, input: z.infer<typeof channelCreate>) {
  const config = checkConfig(input.kind, input.config)
  const sealed = sealConfig(deps, input.kind, config)
  const channel = await createChannel(deps.database, {
    name: input.name,
    kind: input.kind,
    config: sealed.config,
    sealedSecrets: sealed.sealedSecrets,
  })
  const made = input.enabled
    ? channel
    : ((await updateChannel(deps.database, channel.id, { enabled: false })) ?? channel)
  await recordAudit(deps.database, caller.actor, {
    action: 'alert_channel.create',
    objectType: 'alert_channel',
    objectId: made.id,
    after: publicChannel(made),
  })
  return { channel: made, shown: sealed.shown }
}

export async function getChannel(deps: Deps, id: number): Promise<Channel> {
  const channel = await findChannel(deps.database, id)
  if (!channel) throw notFound('the channel')
  return channel
}

export async function changeChannel(
  deps: Deps,
  caller: Caller,
  id: number,
  input: z.infer<typeof channelUpdate>,
) {
  const before = await getChannel(deps, id)
  const after = (await updateChannel(deps.database, id, input)) ?? before
  await recordAudit(deps.database, caller.actor, {
    action: 'alert_channel.update',
    objectType: 'alert_channel',
    objectId: id,
    before: publicChannel(before),
    after: publicChannel(after),
  })
  deps.events.publish(ALERTS_CHANGED, { channel: id })
  return after
}

export async function removeChannel(deps: Deps, caller: Caller, id: number) {
  const before = await getChannel(deps, id)
  await deleteChannel(deps.database, id)
  await recordAudit(deps.database, caller.actor, {
    action: 'alert_channel.delete',
    objectType: 'alert_channel',
    objectId: id,
    before: publicChannel(before),
  })
}

/** Sends a test message through a channel; the outcome as a sentence. */
export async function testChannel(deps: Deps, id: number): Promise<{ ok: boolean; message: string }> {
  const channel = await getChannel(deps, id)
  try {
    await deliver(deps, asChannelRow(channel), {
      state: 'test',
      title: 'Unipanel test message',
      text: maskPrivate(
        `This is a test of the alert channel ${channel.name}. If you read this, alerts will reach you.`,
      ),
      fields: { channel_id: channel.id, at: new Date().toISOString() },
    })
    return { ok: true, message: 'the test message was delivered' }
  } catch (err) {
    return {
      ok: false,
      message: err instanceof DeliveryError ? err.message : 'the test message could not be sent',
    }
  }
}

async function ruleInput(
  deps: Deps,
  input: z.infer<typeof ruleUpdate>,
  base?: Rule,
): Promise<Partial<RuleInput>> {
  const out: Partial<RuleInput> = {}
  if (input.server_id != null && input.tag != null)
    throw new AppError('invalid', 'a rule is for one server or for a tag, not both', {
      tag: 'leave empty when server_id is set',
    })
  if (input.server_id != null && !(await findServer(deps.database, input.server_id)))
    throw new AppError('invalid', 'server_id names no server', { server_id: 'no such server' })
  if (input.channel_id !== undefined && !(await findChannel(deps.database, input.channel_id)))
    throw new AppError('invalid', 'channel_id names no channel', { channel_id: 'no such channel' })
  if (input.metric !== undefined) out.metric = input.metric
  if (input.op !== undefined) out.op = input.op
  if (input.threshold !== undefined) out.threshold = input.threshold
  if (input.for_seconds !== undefined) out.forSeconds = input.for_seconds
  if (input.hysteresis !== undefined) out.hysteresis = input.hysteresis
  if (input.server_id !== undefined) out.serverId = input.server_id
  if (input.tag !== undefined) out.tag = input.tag
  if (input.channel_id !== undefined) out.channelId = input.channel_id
  if (input.enabled !== undefined) out.enabled = input.enabled
  const metric = out.metric ?? base?.metric
  const threshold = out.threshold ?? base?.threshold ?? 0
  if (metric === 'offline') {
    out.op = '>='
    if (threshold < 1)
      throw new AppError('invalid', 'an offline rule counts missed intervals: 1 or more', {
        threshold: 'must be 1 or more',
      })
  }
  const name = input.name ?? (base ? undefined : `${metric} ${out.op ?? '>'} ${threshold}`)
  if (name !== undefined) out.name = name
  return out
}

export async function addRule(deps: Deps, caller: Caller, input: z.infer<typeof ruleCreate>): Promise<Rule> {
  const values = await ruleInput(deps, input)
  const rule = await createRule(deps.database, {
    name: values.name!,
    metric: values.metric!,
    op: values.op ?? '>',
    threshold: values.threshold!,
    forSeconds: values.forSeconds ?? 0,
    // By default an alert resolves once the value is 5 % of the threshold back.
    hysteresis: values.hysteresis ?? Math.abs(values.threshold!) * 0.05,
    serverId: values.serverId ?? null,
    tag: values.tag ?? null,
    channelId: values.channelId!,
    enabled: values.enabled ?? true,
  })
  await recordAudit(deps.database, caller.actor, {
    action: 'alert_rule.create',
    objectType: 'alert_rule',
    objectId: rule.id,
    after: publicRule(rule),
  })
  deps.events.publish(ALERTS_CHANGED, { rule: rule.id })
  return rule
}

export async function getRule(deps: Deps, id: number): Promise<Rule> {
  const rule = await findRule(deps.database, id)
  if (!rule) throw notFound('the rule')
  return rule
}

export async function changeRule(deps: Deps, caller: Caller, id: number, input: z.infer<typeof ruleUpdate>) {
  const before = await getRule(deps, id)
  const after = (await updateRule(deps.database, id, await ruleInput(deps, input, before))) ?? before
  await recordAudit(deps.database, caller.actor, {
    action: 'alert_rule.update',
    objectType: 'alert_rule',
    objectId: id,
    before: publicRule(before),
    after: publicRule(after),
  })
  deps.events.publish(ALERTS_CHANGED, { rule: id })
  return after
}

export async function removeRule(deps: Deps, caller: Caller, id: number) {
  const before = await getRule(deps, id)
  await deleteRule(deps.database, id)
  await recordAudit(deps.database, caller.actor, {
    action: 'alert_rule.delete',
    objectType: 'alert_rule',
    objectId: id,
    before: publicRule(before),
  })
  deps.events.publish(ALERTS_CHANGED, { rule: id })
}
