/** The input of packages, shared by the API, the forms and the docs (snake_case, strict). */
import { z } from 'zod'
import { line } from '../../lib/grammar.ts'

const count = z
  .number()
  .int('must be a whole number')
  .min(0, 'must be 0 or more')
  .max(1_000_000, 'must be at most 1000000')

export const packageCreate = z
  .object({
    name: line(64)
      .transform((v) => v.trim())
      .refine((v) => v.length > 0, 'is required'),
    max_websites: count,
    max_databases: count,
    max_dns_zones: count,
    disk_mb: z
      .number()
      .int('must be a whole number')
      .min(0, 'must be 0 or more')
      .max(1_000_000_000, 'is too large'),
  })
  .strict()

export const packageUpdate = packageCreate.partial().strict()

export type PackageCreate = z.infer<typeof packageCreate>
export type PackageUpdate = z.infer<typeof packageUpdate>
