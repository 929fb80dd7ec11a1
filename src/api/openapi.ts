/** The OpenAPI document of /api/v1; areas register their paths as they arrive. */
export type OpenApiPaths = Record<string, Record<string, unknown>>

const paths: OpenApiPaths = {
  '/account': {
    get: {
      summary: 'The caller',
      security: [{ bearer: [] }],
      responses: { '200': { description: 'the caller as a user object' } },
    },
  },
}

export function registerPaths(more: OpenApiPaths): void {
  Object.assign(paths, more)
}

export function openapiDocument() {
  return {
    openapi: '3.1.0',
    info: { title: 'Unipanel API', version: '1' },
    servers: [{ url: '/api/v1' }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Error: {
          type: 'object',
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string' },
                message: { type: 'string' },
                fields: { type: 'object' },
              },
            },
          },
        },
      },
    },
    paths,
  }
}
