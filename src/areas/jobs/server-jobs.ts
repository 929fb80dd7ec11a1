/**
 * The jobs every server gets from the panel itself: gather its facts (written onto
 * the server row when the job succeeds), bootstrap it with the chosen components,
 * and deploy `unipanel agent` with its token. Other areas and the routes start them
 * through these functions.
 *
 * @example
 *   const job = await gatherFacts(deps, server.id, { requestedBy: user.id })
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import type { Database } from '../../db/client.ts'
import type { ServerFacts } from '../../db/schema/pg/servers.ts'
import type { Deps } from '../../deps.ts'
import { AppError } from '../../lib/errors.ts'
import { checkoutRoot, isCompiled } from '../../lib/resources.ts'
import { enqueueJob } from './enqueue.ts'
import { type Job, registerJobKind } from './model.ts'

export const COMPONENTS = ['nginx', 'php-fpm', 'mariadb', 'postgresql'] as const
export type Component = (typeof COMPONENTS)[number]

/** Stores gathered facts on the server row (with the time they were gathered). */
export async function setServerFacts(
  database: Database,
  serverId: number,
  facts: ServerFacts,
): Promise<void> {
  const { db, t } = database
  await db
    .update(t.servers)
    .set({ facts: { ...facts, gatheredAt: new Date().toISOString() } })
    .where(eq(t.servers.id, serverId))
}

const asStrings = (value: unknown) => (Array.isArray(value) ? value.filter((v) => typeof v === 'string') : [])

/** The facts a run reported, kept to the known fields and types. */
export function factsFromResult(result: Record<string, unknown> | null): ServerFacts | null {
  const facts = result?.facts as Record<string, unknown> | undefined
  if (!facts || typeof facts !== 'object') return null
  const text = (v: unknown) => (typeof v === 'string' && v ? v.slice(0, 100) : undefined)
  return {
    distribution: text(facts.distribution),
    distributionVersion: text(facts.distributionVersion),
    phpVersions: asStrings(facts.phpVersions),
    nginxVersion: text(facts.nginxVersion) ?? null,
    databases: asStrings(facts.databases),
  }
}

registerJobKind({
  kind: 'server.facts',
  label: 'Gather facts',
  timeoutSeconds: 300,
  async onFinished(deps, job) {
    if (job.state !== 'succeeded' || job.dryRun || job.serverId === null) return
    const facts = factsFromResult(job.result)
    if (facts) await setServerFacts(deps.database, job.serverId, facts)
  },
})
registerJobKind({ kind: 'server.bootstrap', label: 'Bootstrap server', timeoutSeconds: 3600 })
registerJobKind({ kind: 'agent.deploy', label: 'Deploy agent', timeoutSeconds: 900 })

type Who = { requestedBy: number | null; dryRun?: boolean }

export function gatherFacts(deps: Deps, serverId: number, who: Who): Promise<Job> {
  return enqueueJob(deps, {
    kind: 'server.facts',
    serverId,
    playbook: 'facts.yml',
    input: {},
    requestedBy: who.requestedBy,
    dryRun: who.dryRun,
  })
}

export function bootstrapServer(
  deps: Deps,
  serverId: number,
  options: { components: Component[]; phpVersions?: string[] } & Who,
): Promise<Job> {
  return enqueueJob(deps, {
    kind: 'server.bootstrap',
    serverId,
    playbook: 'bootstrap.yml',
    input: { components: [...new Set(options.components)], php_versions: options.phpVersions ?? [] },
    requestedBy: options.requestedBy,
    dryRun: options.dryRun,
  })
}

/** The unipanel binary to copy to managed servers: this one when compiled, else dist/unipanel. */
export function agentBinary(): string {
  const binary = isCompiled() ? process.execPath : join(checkoutRoot, 'dist/unipanel')
  if (!existsSync(binary))
    throw new AppError(
      'unavailable',
      'the unipanel binary is not built; run `bun run compile` first, then deploy the agent',
    )
  return binary
}

/**
 * Deploys the agent with its token (sealed in the job, written to a 0600 file on the
 * host, never in argv or the log). `overrides` changes paths and the user (tests).
 */
export function deployAgent(
  deps: Deps,
  serverId: number,
  options: { token: string; binary?: string; overrides?: Record<string, string | number | boolean> } & Who,
): Promise<Job> {
  return enqueueJob(deps, {
    kind: 'agent.deploy',
    serverId,
    playbook: 'agent.yml',
    input: { agent_binary_src: options.binary ?? agentBinary(), ...options.overrides },
    secrets: { agent_token: options.token },
    requestedBy: options.requestedBy,
    dryRun: options.dryRun,
  })
}
