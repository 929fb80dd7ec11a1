/**
 * Servers, the domain side: add (recording the SSH host key), change, delete (refused
 * while websites, databases or zones live on it, and always for the panel's own host),
 * and the agent token. Routes and the API call these with a Caller; every change is
 * audited and announced so caches (alert rules by tag, agent tokens) follow.
 */
import type { Caller } from '../../auth/caller.ts'
import type { Deps } from '../../deps.ts'
import { AppError, notFound } from '../../lib/errors.ts'
import { SERVERS_CHANGED } from '../alerts/engine.ts'
import { deleteServerAlerts } from '../alerts/repository.ts'
import { recordAudit } from '../audit/record.ts'
import { issueAgentToken } from '../metrics/agent-tokens.ts'
import { ingestFor } from '../metrics/ingest.ts'
import { deleteServerMetrics } from '../metrics/store.ts'
import { serverDependents } from './dependents.ts'
import {
  deleteServerRow,
  findServer,
  findServerByName,
  insertServer,
  type Server,
  type ServerInput,
  updateServer,
} from './repository.ts'
import type { ServerCreate, ServerUpdate } from './schemas.ts'
import { fingerprints, parseHostKeys, scanHostKey } from './ssh.ts'

/** What the API and audit rows show of a server (snake_case, with the host key fingerprints). */
export function publicServer(server: Server) {
  return {
    id: server.id,
    name: server.name,
    host: server.host,
    port: server.port,
    user: server.user,
    connection: server.connection,
    host_key: server.hostKey,
    host_key_fingerprints: fingerprints(server.hostKey),
    tags: server.tags,
    notes: server.notes,
    status: server.status,
    last_seen_at: server.lastSeenAt?.toISOString() ?? null,
    facts: server.facts,
    created_at: server.createdAt.toISOString(),
    updated_at: server.updatedAt.toISOString(),
  }
}

export async function getServer(deps: Deps, id: number): Promise<Server> {
  const server = await findServer(deps.database, id)
  if (!server) throw notFound('the server')
  return server
}

function pastedHostKey(text: string): string {
  const keys = parseHostKeys(text)
  if (!keys)
    throw new AppError('invalid', 'host_key holds no SSH public host key', {
      host_key: 'paste lines such as "ssh-ed25519 AAAA…" (from /etc/ssh/ssh_host_ed25519_key.pub)',
    })
  return keys
}

async function nameFree(deps: Deps, name: string, except?: number) {
  const clash = await findServerByName(deps.database, name)
  if (clash && clash.id !== except)
    throw new AppError('conflict', `a server named ${name} exists already`, { name: 'is taken' })
}

export async function addServer(deps: Deps, caller: Caller, input: ServerCreate): Promise<Server> {
  if (input.connection === 'local') {
    throw new AppError(
      'conflict',
      'the panel’s own host exists already as the local server; add other hosts over SSH',
      {
        connection: 'only ssh servers can be added',
      },
    )
  }
  await nameFree(deps, input.name)
  const hostKey = input.host_key ? pastedHostKey(input.host_key) : await scanHostKey(input.host, input.port)
  const server = await insertServer(deps.database, {
    name: input.name,
    host: input.host,
    port: input.port,
    user: input.user,
    tags: input.tags,
    notes: input.notes,
    hostKey,
  })
  await recordAudit(deps.database, caller.actor, {
    action: 'server.create',
    objectType: 'server',
    objectId: server.id,
    after: publicServer(server),
  })
  deps.events.publish(SERVERS_CHANGED, { id: server.id })
  return server
}

export async function changeServer(
  deps: Deps,
  caller: Caller,
  id: number,
  input: ServerUpdate,
): Promise<Server> {
  const before = await getServer(deps, id)
  const local = before.connection === 'local'
  if (
    local &&
    (input.host !== undefined ||
      input.port !== undefined ||
      input.user !== undefined ||
      input.host_key !== undefined ||
      input.rescan_host_key)
  ) {
    throw new AppError(
      'invalid',
      'the panel’s own host is reached without SSH; only its name, tags and notes can change',
    )
  }
  if (input.host_key !== undefined && input.rescan_host_key)
    throw new AppError('invalid', 'give a host key or ask for a new scan, not both', {
      host_key: 'leave empty to scan',
    })
  if (input.name !== undefined) await nameFree(deps, input.name, id)
  const change: Partial<ServerInput> = {}
  if (input.name !== undefined) change.name = input.name
  if (input.host !== undefined) change.host = input.host
  if (input.port !== undefined) change.port = input.port
  if (input.user !== undefined) change.user = input.user
  if (input.tags !== undefined) change.tags = input.tags
  if (input.notes !== undefined) change.notes = input.notes
  const moved =
    (input.host !== undefined && input.host !== before.host) ||
    (input.port !== undefined && input.port !== before.port)
  if (input.host_key !== undefined) change.hostKey = pastedHostKey(input.host_key)
  else if (input.rescan_host_key || moved)
    change.hostKey = await scanHostKey(change.host ?? before.host, change.port ?? before.port)
  const after = Object.keys(change).length ? await updateServer(deps.database, id, change) : before
  await recordAudit(deps.database, caller.actor, {
    action: 'server.update',
    objectType: 'server',
    objectId: id,
    before: publicServer(before),
    after: publicServer(after),
  })
  deps.events.publish(SERVERS_CHANGED, { id })
  return after
}

/** Deletes a server with nothing on it; the refusal names what is still there. */
export async function removeServer(deps: Deps, caller: Caller, id: number): Promise<void> {
  const server = await getServer(deps, id)
  if (server.connection === 'local') {
    throw new AppError('conflict', 'the panel’s own host cannot be deleted')
  }
  const left = await serverDependents(deps, id)
  if (left.length > 0) {
    const list = left.map(
      (d) =>
        `${d.kind}: ${d.names.slice(0, 20).join(', ')}${d.names.length > 20 ? ` and ${d.names.length - 20} more` : ''}`,
    )
    throw new AppError(
      'conflict',
      `${server.name} still has ${list.join('; ')}. Move or delete them first.`,
      Object.fromEntries(left.map((d) => [d.kind, d.names.join(', ')])),
    )
  }
  await ingestFor(deps).flush()
  await deleteServerMetrics(deps.database, id)
  await deleteServerAlerts(deps.database, id)
  await deleteServerRow(deps.database, id)
  await recordAudit(deps.database, caller.actor, {
    action: 'server.delete',
    objectType: 'server',
    objectId: id,
    before: publicServer(server),
  })
  deps.events.publish(SERVERS_CHANGED, { id })
  deps.events.publish('agent-tokens:changed', { serverId: id })
}

export async function newAgentToken(deps: Deps, caller: Caller, id: number): Promise<string> {
  const server = await getServer(deps, id)
  if (server.connection === 'local')
    throw new AppError(
      'conflict',
      'the panel measures its own host itself; agent tokens are for other servers',
    )
  const { token } = await issueAgentToken(deps, id)
  await recordAudit(deps.database, caller.actor, {
    action: 'server.agent_token',
    objectType: 'server',
    objectId: id,
    after: { agent_token: 'issued' },
  })
  return token
}
