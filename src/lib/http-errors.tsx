/** @jsxImportSource @kitajs/html */
/**
 * The app's not-found and error handlers: JSON in the CONTRACT.md shape under
 * /api/v1, a full page or an htmx fragment elsewhere. Bad input is never a 500;
 * an unexpected error is logged with the request id and shown without details.
 */
import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { ErrorPanel } from '../../partials/error-page.tsx'
import type { AppEnv } from './env.ts'
import { AppError, ERROR_STATUS, type ErrorCode } from './errors.ts'
import { methodTable } from './methods.ts'
import { page } from './render.tsx'

const isApi = (c: Context) => c.req.path.startsWith('/api/')

function respond(c: Context<AppEnv>, error: AppError) {
  for (const [name, value] of Object.entries(error.headers ?? {})) c.header(name, value)
  if (isApi(c)) {
    return c.json(
      {
        error: {
          code: error.code,
          message: error.message,
          ...(error.fields ? { fields: error.fields } : {}),
        },
      },
      error.status,
    )
  }
  return page(
    c,
    `Error ${error.status}`,
    <ErrorPanel status={error.status} message={error.message} requestId={c.var.requestId} />,
    error.status,
  )
}

const tables = new WeakMap<object, (path: string) => string[]>()

/** 404, or 405 with Allow when the path exists for other methods. `prefix` is where `routes` are mounted. */
export function handleNotFound(
  c: Context<AppEnv>,
  routes: readonly { method: string; path: string }[],
  prefix = '',
) {
  let table = tables.get(routes)
  if (!table) {
    table = methodTable(routes)
    tables.set(routes, table)
  }
  const methods = table(c.req.path.slice(prefix.length) || '/')
  if (methods.length > 0 && !methods.includes(c.req.method)) {
    return respond(
      c,
      new AppError(
        'method-not-allowed',
        `${c.req.method} is not allowed here; use ${methods.join(', ')}`,
        undefined,
        { Allow: methods.join(', ') },
      ),
    )
  }
  return respond(c, new AppError('not-found', `nothing is at ${c.req.path}`))
}

export function handleError(err: unknown, c: Context<AppEnv>, code?: ErrorCode) {
  if (code)
    return respond(
      c,
      new AppError(
        code,
        code === 'too-large' ? 'the request body is too large' : err instanceof Error ? err.message : 'error',
      ),
    )
  if (err instanceof AppError) return respond(c, err)
  if (err instanceof HTTPException) {
    const entry = Object.entries(ERROR_STATUS).find(([, status]) => status === err.status)
    if (entry && err.status < 500)
      return respond(c, new AppError(entry[0] as ErrorCode, err.message || 'bad request'))
  }
  if (err instanceof SyntaxError && c.req.method !== 'GET') {
    return respond(c, new AppError('bad-request', 'the request body is not valid JSON'))
  }
  const deps = c.var.deps
  deps?.log.error('unhandled error', {
    id: c.var.requestId,
    path: c.req.path,
    error: err instanceof Error ? (deps.config.debug ? err.stack : err.message) : String(err),
  })
  return respond(
    c,
    new AppError('internal', 'the panel hit an unexpected error; it was logged with the request id below'),
  )
}
