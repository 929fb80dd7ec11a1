/** Input schemas of the servers area, shared by the API and the forms. */
import { z } from 'zod'
import { host, line } from '../../lib/grammar.ts'

export const serverName = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9._-]{0,62}$/,
    'must be 1–63 characters of a-z, 0-9, . _ - starting with a letter or digit',
  )

export const sshUser = z
  .string()
  .regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'must be a Unix user name such as root or deploy')

export const tag = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'tags hold a-z, 0-9, _ and - (at most 32)')

export const tags = z
  .array(tag)
  .max(20, 'at most 20 tags')
  .transform((list) => [...new Set(list)])

const port = z.number().int().min(1, 'must be from 1 to 65535').max(65535, 'must be from 1 to 65535')

/** A pasted host key: known_hosts lines or .pub files (checked when parsed). */
const hostKey = z.string().max(16_384, 'is too long')

export const serverCreate = z
  .object({
    name: serverName,
    host,
    port: port.default(22),
    user: sshUser.default('root'),
    connection: z.enum(['ssh', 'local']),
    tags: tags.default([]),
    notes: line(2000).default(''),
    host_key: hostKey.optional(),
  })
  .strict()

export const serverUpdate = z
  .object({
    name: serverName,
    host,
    port,
    user: sshUser,
    tags,
    notes: line(2000),
    host_key: hostKey,
    /** Read the host key again (after a reinstall); refused when the host key is given. */
    rescan_host_key: z.boolean(),
  })
  .partial()
  .strict()

export type ServerCreate = z.infer<typeof serverCreate>
export type ServerUpdate = z.infer<typeof serverUpdate>

/** Turns form fields (strings) into the API's shape, so one schema checks both. */
export function fromForm(form: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const field of fields) {
    const value = form[field]
    if (typeof value !== 'string') continue
    if (field === 'port') out.port = /^\d{1,5}$/.test(value.trim()) ? Number(value.trim()) : value
    else if (field === 'tags')
      out.tags = value
        .split(/[,\s]+/)
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean)
    else if (field === 'host_key') {
      if (value.trim()) out.host_key = value
    } else out[field] = field === 'notes' ? value.replace(/\r?\n/g, ' ') : value.trim()
  }
  return out
}
