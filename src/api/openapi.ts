/**
 * The OpenAPI 3.1 document of /api/v1, built from the same zod schemas that guard
 * the routes (zod 4's own JSON Schema output; OpenAPI 3.1 schemas are JSON Schema).
 * Each area registers its operations next to its routes.
 *
 * @example
 *   registerOperation({ method: 'post', path: '/servers', summary: 'Add a server', tag: 'servers',
 *     body: serverCreate, responses: { 201: 'the server' } })
 */
import { z } from 'zod'

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete'

export type Operation = {
  method: Method
  /** OpenAPI path under /api/v1, with `{id}` parameters. */
  path: string
  summary: string
  tag: string
  body?: z.ZodType
  query?: z.ZodType
  /** Status -> description (and optionally a zod schema of the answer). */
  responses: Record<number, string | { description: string; schema: z.ZodType }>
  /** Defaults to bearer; `false` for public operations. */
  auth?: boolean
}

const operations: Operation[] = []

export function registerOperation(operation: Operation): void {
  operations.push(operation)
}

const jsonSchema = (schema: z.ZodType) => z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' })

function parameters(op: Operation) {
  const params: unknown[] = []
  for (const match of op.path.matchAll(/\{(\w+)\}/g)) {
    params.push({
      name: match[1],
      in: 'path',
      required: true,
      schema: { type: match[1] === 'id' ? 'integer' : 'string' },
    })
  }
  if (op.query) {
    const schema = jsonSchema(op.query) as { properties?: Record<string, unknown>; required?: string[] }
    for (const [name, prop] of Object.entries(schema.properties ?? {})) {
      params.push({ name, in: 'query', required: schema.required?.includes(name) ?? false, schema: prop })
    }
  }
  return params
}

export function openapiDocument() {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const op of operations) {
    const responses: Record<string, unknown> = {}
    for (const [status, value] of Object.entries(op.responses)) {
      const description = typeof value === 'string' ? value : value.description
      responses[status] =
        typeof value === 'string'
          ? { description }
          : { description, content: { 'application/json': { schema: jsonSchema(value.schema) } } }
    }
    for (const status of ['401', '403', '404', '422']) {
      responses[status] ??= {
        description: 'error',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      }
    }
    paths[op.path] ??= {}
    paths[op.path]![op.method] = {
      summary: op.summary,
      tags: [op.tag],
      ...(op.auth === false ? { security: [] } : {}),
      parameters: parameters(op),
      ...(op.body
        ? {
            requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(op.body) } } },
          }
        : {}),
      responses,
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Unipanel API',
      version: '1',
      description: 'Every resource the Unipanel UI offers, with the same permission rules.',
    },
    servers: [{ url: '/api/v1' }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'an API token from /account or `unipanel token create`',
        },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: {
                  type: 'string',
                  enum: [
                    'invalid',
                    'bad-request',
                    'unauthorized',
                    'forbidden',
                    'not-found',
                    'method-not-allowed',
                    'conflict',
                    'too-large',
                    'too-many',
                    'timeout',
                    'unavailable',
                    'internal',
                  ],
                },
                message: { type: 'string' },
                fields: { type: 'object', additionalProperties: { type: 'string' } },
              },
            },
          },
        },
      },
    },
    paths,
  }
}

registerOperation({
  method: 'get',
  path: '/openapi.json',
  summary: 'This document',
  tag: 'meta',
  auth: false,
  responses: { 200: 'the OpenAPI document' },
})
registerOperation({
  method: 'get',
  path: '/account',
  summary: 'The caller',
  tag: 'account',
  responses: { 200: 'the caller as a user object' },
})
