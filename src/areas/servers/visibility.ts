/**
 * Which servers a user may see: the one place that decides it, for the dashboard, the
 * live streams and the metrics API. Admins see every server; resellers and users see
 * the servers that host their own (or their users') websites, databases and zones, as
 * the owning areas report them (dependents.ts). The servers area itself — inventory,
 * SSH, agent tokens — stays an admin capability.
 *
 * @example
 *   const visible = await visibleServers(deps, user)
 *   if (!visible.has(serverId)) throw notFound('the server')
 */
import { tenancyOf } from '../../auth/tenancy.ts'
import type { Deps } from '../../deps.ts'
import type { User } from '../users/repository.ts'
import { serversHosting } from './dependents.ts'

export type Visible = { all: boolean; has(serverId: number): boolean; ids: ReadonlySet<number> }

export async function visibleServers(deps: Deps, user: User): Promise<Visible> {
  if (user.role === 'admin') return { all: true, has: () => true, ids: new Set() }
  const scope = await tenancyOf(deps, user)
  const ids = await serversHosting(deps, scope.ownerIds)
  return { all: false, has: (id) => ids.has(id), ids }
}
