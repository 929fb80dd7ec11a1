/**
 * What keeps a server from being deleted, and which servers a tenant's resources live
 * on. Other areas register here instead of the servers area reaching into their
 * tables: the websites area says which sites a server hosts, the databases area which
 * databases, the DNS area which zones.
 *
 * @example
 *   registerServerDependents('websites', async (deps, serverId) =>
 *     (await sitesOn(deps, serverId)).map((site) => site.domain))
 *   registerServerHosting('websites', async (deps, ownerIds) => serverIdsHostingSitesOf(deps, ownerIds))
 */
import type { Deps } from '../../deps.ts'

/** Names of the objects on a server (e.g. its websites' domains); empty when none. */
export type DependentsLookup = (deps: Deps, serverId: number) => Promise<string[]>

/** Ids of the servers holding objects owned by any of `ownerIds`. */
export type HostingLookup = (deps: Deps, ownerIds: readonly number[]) => Promise<number[]>

const dependents = new Map<string, DependentsLookup>()
const hosting = new Map<string, HostingLookup>()

/** Registers (or replaces) the lookup of one kind of dependent, named for the operator ("websites"). */
export function registerServerDependents(kind: string, lookup: DependentsLookup): () => void {
  dependents.set(kind, lookup)
  return () => {
    if (dependents.get(kind) === lookup) dependents.delete(kind)
  }
}

export function registerServerHosting(kind: string, lookup: HostingLookup): () => void {
  hosting.set(kind, lookup)
  return () => {
    if (hosting.get(kind) === lookup) hosting.delete(kind)
  }
}

/** Every kind of object still on the server, with the names of those objects. */
export async function serverDependents(
  deps: Deps,
  serverId: number,
): Promise<{ kind: string; names: string[] }[]> {
  const found: { kind: string; names: string[] }[] = []
  for (const [kind, lookup] of [...dependents].sort(([a], [b]) => a.localeCompare(b))) {
    const names = await lookup(deps, serverId)
    if (names.length > 0) found.push({ kind, names })
  }
  return found
}

export async function serversHosting(deps: Deps, ownerIds: readonly number[]): Promise<Set<number>> {
  const ids = new Set<number>()
  if (ownerIds.length === 0) return ids
  for (const lookup of hosting.values()) for (const id of await lookup(deps, ownerIds)) ids.add(id)
  return ids
}
