/**
 * The secrets a job hands to its playbook (a database password, the agent's token):
 * sealed with the secret box in the job row, opened only by the runner to write the
 * 0600 vars file, and replaced by ******** in the job's log.
 *
 * @example
 *   const sealed = sealJobSecrets(deps, { db_password: 'x' })
 */
import type { Deps } from '../../deps.ts'
import { secretBox } from '../../lib/crypto.ts'

const box = (deps: Deps) => secretBox(deps.config.secret, 'job-secrets')

export const sealJobSecrets = (deps: Deps, secrets: Record<string, unknown>) =>
  box(deps).seal(JSON.stringify(secrets))

export function openJobSecrets(deps: Deps, sealed: string | null): Record<string, unknown> {
  if (!sealed) return {}
  return JSON.parse(box(deps).open(sealed)) as Record<string, unknown>
}

/** Every string inside a secrets object: what the log must never show. */
export function secretStrings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value)
  else if (Array.isArray(value)) for (const v of value) secretStrings(v, out)
  else if (value && typeof value === 'object') for (const v of Object.values(value)) secretStrings(v, out)
  return out
}
