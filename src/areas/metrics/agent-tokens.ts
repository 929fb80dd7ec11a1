/**
 * Agent tokens: what `unipanel agent` pushes samples with. One active token per server
 * (issuing a new one revokes the old), shown once, kept as sha256. They are not API
 * tokens: they may only push samples for their own server. Lookups are cached because
 * every sample carries one; issuing a token or deleting a server clears every process's cache.
 *
 * @example
 *   const { token } = await issueAgentToken(deps, serverId)
 *   const serverId = await verifyAgentToken(deps, token) // null when unknown or revoked
 */
import { and, eq, isNull } from 'drizzle-orm'
import type { Deps } from '../../deps.ts'
import { randomToken, sha256Hex } from '../../lib/crypto.ts'

const TOPIC = 'agent-tokens:changed'
// Long: issuing or revoking a token clears every process's cache at once (an event).
const CACHE_MS = 600_000
/** How often a token's last use is written. */
const USED_MS = 600_000
const TOKEN = /^ua_[A-Za-z0-9_-]{40,64}$/

type Cache = { entries: Map<string, { serverId: number; until: number; usedAt: number }>; stop: () => void }
const caches = new WeakMap<Deps, Cache>()

function cacheOf(deps: Deps): Cache {
  let cache = caches.get(deps)
  if (!cache) {
    const entries = new Map<string, { serverId: number; until: number; usedAt: number }>()
    const stop = deps.events.subscribe(TOPIC, () => entries.clear())
    cache = { entries, stop }
    caches.set(deps, cache)
    deps.onClose.push(() => stop())
  }
  return cache
}

export async function issueAgentToken(deps: Deps, serverId: number): Promise<{ token: string }> {
  const { t } = deps.database
  const token = `ua_${randomToken(32)}`
  await deps.database.transaction(async (tx) => {
    await tx
      .update(t.agentTokens)
      .set({ revokedAt: new Date() })
      .where(and(eq(t.agentTokens.serverId, serverId), isNull(t.agentTokens.revokedAt)))
    await tx.insert(t.agentTokens).values({ serverId, tokenHash: sha256Hex(token) })
  })
  deps.events.publish(TOPIC, { serverId })
  return { token }
}

/** The server an agent token belongs to, or null (malformed, unknown or revoked). */
export async function verifyAgentToken(deps: Deps, token: string): Promise<number | null> {
  if (!TOKEN.test(token)) return null
  const hash = sha256Hex(token)
  const cache = cacheOf(deps)
  const now = Date.now()
  const hit = cache.entries.get(hash)
  if (hit && hit.until > now) return hit.serverId
  const { db, t } = deps.database
  const [row] = await db
    .select({ id: t.agentTokens.id, serverId: t.agentTokens.serverId })
    .from(t.agentTokens)
    .where(and(eq(t.agentTokens.tokenHash, hash), isNull(t.agentTokens.revokedAt)))
    .limit(1)
  if (!row) {
    cache.entries.delete(hash)
    return null
  }
  const fresh = hit !== undefined && now - hit.usedAt <= USED_MS
  if (!fresh) {
    await db
      .update(t.agentTokens)
      .set({ lastUsedAt: new Date(now) })
      .where(eq(t.agentTokens.id, row.id))
  }
  cache.entries.set(hash, { serverId: row.serverId, until: now + CACHE_MS, usedAt: fresh ? hit.usedAt : now })
  return row.serverId
}

/** When the server's current token was issued and last used (never the token itself). */
export async function agentTokenInfo(deps: Deps, serverId: number) {
  const { db, t } = deps.database
  const [row] = await db
    .select({ createdAt: t.agentTokens.createdAt, lastUsedAt: t.agentTokens.lastUsedAt })
    .from(t.agentTokens)
    .where(and(eq(t.agentTokens.serverId, serverId), isNull(t.agentTokens.revokedAt)))
    .limit(1)
  return row ?? null
}
