/**
 * Request validation for the JSON API and forms: zod schemas through
 * @hono/zod-validator, with failures answered in the CONTRACT.md error shape
 * (422 with one sentence per field; 400 when the body is not JSON at all).
 *
 * @example
 *   api.post('/servers', validJson(serverCreate), (c) => { const input = c.req.valid('json') … })
 */
import { zValidator } from '@hono/zod-validator'
import { z } from 'zod'
import { AppError } from '../lib/errors.ts'

/** Field path -> the first message for it; unknown keys are named as such. */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const fields: Record<string, string> = {}
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        fields[[...issue.path, key].join('.')] ??= 'is not a field of this resource'
      continue
    }
    const key = issue.path.join('.') || '_'
    fields[key] ??= issue.message
  }
  return fields
}

export function invalid(error: z.ZodError): AppError {
  const fields = fieldErrors(error)
  const [first] = Object.entries(fields)
  const sentence = first ? (first[0] === '_' ? first[1] : `${first[0]} ${first[1]}`) : 'the input is invalid'
  return new AppError('invalid', sentence, fields)
}

const hook = (result: { success: boolean; error?: unknown }) => {
  if (!result.success) throw invalid(result.error as z.ZodError)
}

export const validJson = <T extends z.ZodType>(schema: T) => zValidator('json', schema, hook)
export const validQuery = <T extends z.ZodType>(schema: T) => zValidator('query', schema, hook)
export const validForm = <T extends z.ZodType>(schema: T) => zValidator('form', schema, hook)

/** `?q=&page=&per_page=` for every list; answers are `{ data, total }`. */
export const listQuery = z
  .object({
    q: z.string().max(200).optional(),
    page: z.coerce.number().int().min(1).max(100000).default(1),
    per_page: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict()

export type ListQuery = z.infer<typeof listQuery>
