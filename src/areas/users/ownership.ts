/**
 * What a user owns, asked of every area: deleting a user is refused while it owns
 * anything (the answer lists what), unless the caller confirms a cascade by typing the
 * username, in which case each area removes its own objects. Quotas use the same
 * counters (`websites`, `databases`, `dns_zones` are the package's kinds).
 *
 * An area registers its counter once, at module load, next to its repository:
 *
 * @example
 *   registerOwnedResource({
 *     kind: 'websites',
 *     label: (n) => (n === 1 ? '1 website' : `${n} websites`),
 *     count: async (database, userId) => countWebsitesOf(database, userId),
 *     removeAll: async (deps, userId, actor) => { await deleteWebsitesOf(deps, userId, actor) },
 *   })
 */
import type { Database } from '../../db/client.ts'
import type { Deps } from '../../deps.ts'
import type { Actor } from '../audit/record.ts'

export type OwnedResource = {
  /** A stable key; the quota kinds 'websites', 'databases' and 'dns_zones' use the same. */
  kind: string
  /** How to say n of them in a sentence: "2 websites". */
  label: (n: number) => string
  count: (database: Database, userId: number) => Promise<number>
  /** Removes all of the user's objects of this kind (the confirmed cascade); may start jobs. */
  removeAll?: (deps: Deps, userId: number, actor: Actor) => Promise<void>
}

const registry = new Map<string, OwnedResource>()

/** Registers a counter; the returned function puts back what was there before (for tests). */
export function registerOwnedResource(resource: OwnedResource): () => void {
  const previous = registry.get(resource.kind)
  registry.set(resource.kind, resource)
  return () => {
    if (previous) registry.set(resource.kind, previous)
    else registry.delete(resource.kind)
  }
}

export function ownedResourceKinds(): OwnedResource[] {
  return [...registry.values()]
}

export function ownedResource(kind: string): OwnedResource | undefined {
  return registry.get(kind)
}

export type Holding = { kind: string; count: number; text: string; removable: boolean }

/** Everything the user still owns (kinds with a count above zero). */
export async function holdingsOf(database: Database, userId: number): Promise<Holding[]> {
  const out: Holding[] = []
  for (const resource of registry.values()) {
    const count = await resource.count(database, userId)
    if (count > 0)
      out.push({ kind: resource.kind, count, text: resource.label(count), removable: !!resource.removeAll })
  }
  return out
}

/** "2 websites, 1 database and 3 users" */
export function listHoldings(holdings: Holding[]): string {
  const parts = holdings.map((h) => h.text)
  if (parts.length <= 1) return parts.join('')
  return `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`
}
