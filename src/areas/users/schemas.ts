/**
 * The input of the users area and the caller's own account, shared by the API, the
 * forms and the OpenAPI document (snake_case, strict: role or owner fields cannot be
 * smuggled in where they are not fields).
 */
import { z } from 'zod'
import { listQuery } from '../../api/validate.ts'
import { email, line, password, username } from '../../lib/grammar.ts'
import { ROLES } from './repository.ts'

const packageId = z.number().int().positive().nullable()

export const userCreate = z
  .object({
    username,
    role: z.enum(ROLES),
    email: email.optional(),
    password: password.optional(),
    package_id: packageId.optional(),
  })
  .strict()

export const userUpdate = z
  .object({
    email: email.nullable().optional(),
    role: z.enum(ROLES).optional(),
    status: z.enum(['active', 'disabled']).optional(),
    package_id: packageId.optional(),
  })
  .strict()

export const passwordReset = z.object({ password: password.optional() }).strict()

export const userListQuery = listQuery
  .extend({ role: z.enum(ROLES).optional(), status: z.enum(['active', 'disabled']).optional() })
  .strict()

export const userDeleteQuery = z.object({ confirm: z.string().max(64).optional() }).strict()

/** What a user may change about itself: profile fields only. */
export const accountUpdate = z.object({ email: email.nullable().optional() }).strict()

export const passwordChange = z
  .object({ current_password: z.string().max(1000), new_password: password })
  .strict()

export const tokenCreate = z
  .object({
    name: line(100).refine((v) => v.trim().length > 0, 'is required'),
    scope: z.enum(['read', 'write']).default('write'),
    expires_in_days: z
      .number()
      .int()
      .min(1, 'must be at least 1')
      .max(3650, 'must be at most 3650')
      .optional(),
  })
  .strict()

export type UserCreate = z.infer<typeof userCreate>
export type UserUpdate = z.infer<typeof userUpdate>
