/** Alert channels, rules, live states and history: the rows behind the alerts area. */
import { and, asc, count, desc, eq } from 'drizzle-orm'
import type { Database, Tables } from '../../db/client.ts'
import { AppError } from '../../lib/errors.ts'
import type { ChannelKind, ChannelRow } from './channels.ts'

export type Channel = Tables['alertChannels']['$inferSelect']
export type Rule = Tables['alertRules']['$inferSelect']
export type AlertEvent = Tables['alertEvents']['$inferSelect']
export type AlertState = Tables['alertStates']['$inferSelect']

export const asChannelRow = (c: Channel): ChannelRow => ({ ...c, kind: c.kind as ChannelKind })

export async function listChannels(database: Database, page = 1, perPage = 200) {
  const { db, t } = database
  const [rows, [total]] = await Promise.all([
    db
      .select()
      .from(t.alertChannels)
      .orderBy(asc(t.alertChannels.name))
      .limit(perPage)
      .offset((page - 1) * perPage),
    db.select({ n: count() }).from(t.alertChannels),
  ])
  return { rows, total: Number(total?.n ?? 0) }
}

export async function findChannel(database: Database, id: number): Promise<Channel | null> {
  const { db, t } = database
  const [row] = await db.select().from(t.alertChannels).where(eq(t.alertChannels.id, id)).limit(1)
  return row ?? null
}

export async function createChannel(
  database: Database,
  input: { name: string; kind: ChannelKind; config: Record<string, unknown>; sealedSecrets: string | null },
): Promise<Channel> {
  const { db, t } = database
  const [clash] = await db
    .select({ id: t.alertChannels.id })
    .from(t.alertChannels)
    .where(eq(t.alertChannels.name, input.name))
    .limit(1)
  if (clash) throw new AppError('conflict', `a channel named ${input.name} exists`, { name: 'is taken' })
  const [row] = await db.insert(t.alertChannels).values(input).returning()
  return row!
}

export async function updateChannel(
  database: Database,
  id: number,
  change: Partial<Pick<Channel, 'name' | 'enabled'>>,
) {
  const { db, t } = database
  const [row] = await db.update(t.alertChannels).set(change).where(eq(t.alertChannels.id, id)).returning()
  return row ?? null
}

/** Deletes a channel no rule uses; otherwise a conflict naming the rules. */
export async function deleteChannel(database: Database, id: number): Promise<void> {
  const { db, t } = database
  const users = await db
    .select({ name: t.alertRules.name })
    .from(t.alertRules)
    .where(eq(t.alertRules.channelId, id))
    .orderBy(asc(t.alertRules.name))
  if (users.length > 0) {
    throw new AppError(
      'conflict',
      `the channel is used by the rules ${users.map((u) => u.name).join(', ')}; delete or move them first`,
    )
  }
  await db.delete(t.alertChannels).where(eq(t.alertChannels.id, id))
}

export async function listRules(database: Database, page = 1, perPage = 200) {
  const { db, t } = database
  const [rows, [total]] = await Promise.all([
    db
      .select()
      .from(t.alertRules)
      .orderBy(asc(t.alertRules.name), asc(t.alertRules.id))
      .limit(perPage)
      .offset((page - 1) * perPage),
    db.select({ n: count() }).from(t.alertRules),
  ])
  return { rows, total: Number(total?.n ?? 0) }
}

export async function allRules(database: Database): Promise<Rule[]> {
  const { db, t } = database
  return db.select().from(t.alertRules)
}

export async function findRule(database: Database, id: number): Promise<Rule | null> {
  const { db, t } = database
  const [row] = await db.select().from(t.alertRules).where(eq(t.alertRules.id, id)).limit(1)
  return row ?? null
}

export type RuleInput = Omit<Rule, 'id' | 'createdAt' | 'updatedAt'>

export async function createRule(database: Database, input: RuleInput): Promise<Rule> {
  const { db, t } = database
  const [row] = await db.insert(t.alertRules).values(input).returning()
  return row!
}

export async function updateRule(
  database: Database,
  id: number,
  change: Partial<RuleInput>,
): Promise<Rule | null> {
  const { db, t } = database
  const [row] = await db.update(t.alertRules).set(change).where(eq(t.alertRules.id, id)).returning()
  if (row) await db.delete(t.alertStates).where(eq(t.alertStates.ruleId, id))
  return row ?? null
}

export async function deleteRule(database: Database, id: number): Promise<void> {
  const { db, t } = database
  await db.delete(t.alertStates).where(eq(t.alertStates.ruleId, id))
  await db.delete(t.alertRules).where(eq(t.alertRules.id, id))
}

/** Rules aimed at one server, its states and its history go with the server. */
export async function deleteServerAlerts(database: Database, serverId: number): Promise<void> {
  const { db, t } = database
  const rules = await db
    .select({ id: t.alertRules.id })
    .from(t.alertRules)
    .where(eq(t.alertRules.serverId, serverId))
  for (const rule of rules) await deleteRule(database, rule.id)
  await db.delete(t.alertStates).where(eq(t.alertStates.serverId, serverId))
}

export async function listEvents(database: Database, page = 1, perPage = 50) {
  const { db, t } = database
  const [rows, [total]] = await Promise.all([
    db
      .select()
      .from(t.alertEvents)
      .orderBy(desc(t.alertEvents.at), desc(t.alertEvents.id))
      .limit(perPage)
      .offset((page - 1) * perPage),
    db.select({ n: count() }).from(t.alertEvents),
  ])
  return { rows, total: Number(total?.n ?? 0) }
}

export async function recordEvent(
  database: Database,
  event: Omit<AlertEvent, 'id' | 'delivery' | 'deliveryError'>,
) {
  const { db, t } = database
  const [row] = await db.insert(t.alertEvents).values(event).returning()
  return row!
}

export async function setDelivery(
  database: Database,
  id: number,
  delivery: 'sent' | 'failed',
  error: string | null,
) {
  const { db, t } = database
  await db.update(t.alertEvents).set({ delivery, deliveryError: error }).where(eq(t.alertEvents.id, id))
}

export async function loadStates(database: Database): Promise<AlertState[]> {
  const { db, t } = database
  return db.select().from(t.alertStates)
}

/** Claims a new state; false when another panel process holds one for this rule and server. */
export async function claimState(database: Database, state: AlertState): Promise<boolean> {
  const { db, t } = database
  const rows = await db.insert(t.alertStates).values(state).onConflictDoNothing().returning()
  return rows.length > 0
}

/** Pending → firing; true only for the process that made the change. */
export async function promoteState(
  database: Database,
  ruleId: number,
  serverId: number,
  since: Date,
): Promise<boolean> {
  const { db, t } = database
  const s = t.alertStates
  const rows = await db
    .update(s)
    .set({ state: 'firing', since })
    .where(and(eq(s.ruleId, ruleId), eq(s.serverId, serverId), eq(s.state, 'pending')))
    .returning()
  return rows.length > 0
}

/** Removes a state; true only for the process that removed it. */
export async function dropState(
  database: Database,
  ruleId: number,
  serverId: number,
  state: AlertState['state'],
) {
  const { db, t } = database
  const s = t.alertStates
  const rows = await db
    .delete(s)
    .where(and(eq(s.ruleId, ruleId), eq(s.serverId, serverId), eq(s.state, state)))
    .returning()
  return rows.length > 0
}

export async function findState(
  database: Database,
  ruleId: number,
  serverId: number,
): Promise<AlertState | null> {
  const { db, t } = database
  const s = t.alertStates
  const [row] = await db
    .select()
    .from(s)
    .where(and(eq(s.ruleId, ruleId), eq(s.serverId, serverId)))
    .limit(1)
  return row ?? null
}
