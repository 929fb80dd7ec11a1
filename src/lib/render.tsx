/** @jsxImportSource @kitajs/html */
/**
 * One URL, two answers: a full page for a normal request, the fragment alone for an
 * htmx request (`HX-Request: true`). Every UI route answers through `page()`.
 */
import type { Context } from 'hono'
import { getCookie } from 'hono/cookie'
import { Document, Shell, type Theme } from '../../partials/layout.tsx'
import type { AppEnv } from './env.ts'

export const isHtmx = (c: Context) => c.req.header('hx-request') === 'true'

export function themeOf(c: Context): Theme {
  const value = getCookie(c, 'theme')
  return value === 'light' || value === 'dark' ? value : 'system'
}

type Status = 200 | 201 | 202 | 400 | 401 | 403 | 404 | 405 | 409 | 413 | 422 | 429 | 500 | 503 | 504

/** Answers a page of the signed-in shell (or its fragment for htmx). */
export function page(c: Context<AppEnv>, title: string, body: JSX.Element, status: Status = 200) {
  if (isHtmx(c)) {
    return c.html(
      <>
        <title safe>{`${title} · Unipanel`}</title>
        {body}
      </>,
      status,
    )
  }
  const vars = c.var
  return c.html(
    <Shell
      title={title}
      theme={themeOf(c)}
      csrfToken={vars.session?.csrfToken ?? null}
      user={vars.user ?? null}
      path={c.req.path}
    >
      {body}
    </Shell>,
    status,
  )
}

/** A page outside the shell (login, setup): centred card, no menu. */
export function barePage(
  c: Context<AppEnv>,
  title: string,
  body: JSX.Element,
  status: Status = 200,
  csrfToken: string | null = null,
) {
  if (isHtmx(c)) return c.html(body, status)
  return c.html(
    <Document title={title} theme={themeOf(c)} csrfToken={csrfToken}>
      <main id="main" class="flex min-h-dvh items-center justify-center p-4">
        {body}
      </main>
    </Document>,
    status,
  )
}
