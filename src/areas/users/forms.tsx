/** @jsxImportSource @kitajs/html */
/**
 * Form plumbing for the identity pages (users, packages, account, audit): turning a
 * posted form into the same input the JSON API validates (so one zod schema guards
 * both), and small pieces of form markup with the field errors next to each field.
 *
 * @example
 *   const input = parseInput(userCreate, await formInput(c, { numbers: ['package_id'] }))
 */
import type { Children } from '@kitajs/html'
import type { Context } from 'hono'
import type { z } from 'zod'
import { Alert } from '../../../partials/ui.tsx'
import { invalid } from '../../api/validate.ts'
import type { AppEnv } from '../../lib/env.ts'
import { AppError } from '../../lib/errors.ts'

export type FormValues = Record<string, unknown>

/**
 * The posted form as an input object: `_csrf` dropped, empty fields left out (or null
 * for `nullable` ones), `numbers` converted (a non-number stays text, so the schema
 * names the field), `lists` kept as arrays.
 */
export async function formInput(
  c: Context<AppEnv>,
  options: { numbers?: string[]; nullable?: string[]; lists?: string[] } = {},
): Promise<FormValues> {
  const body = await c.req.parseBody({ all: true })
  const out: FormValues = {}
  for (const [key, raw] of Object.entries(body)) {
    if (key === '_csrf') continue
    if (options.lists?.includes(key)) {
      out[key] = (Array.isArray(raw) ? raw : [raw]).filter((v) => typeof v === 'string')
      continue
    }
    const value = Array.isArray(raw) ? raw[0] : raw
    if (typeof value !== 'string') {
      out[key] = value
      continue
    }
    if (value === '') {
      if (options.nullable?.includes(key)) out[key] = null
      continue
    }
    if (options.numbers?.includes(key) && /^-?\d{1,12}$/.test(value.trim())) out[key] = Number(value.trim())
    else out[key] = value
  }
  for (const key of options.lists ?? []) out[key] ??= []
  return out
}

export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input)
  if (!result.success) throw invalid(result.error)
  return result.data
}

/** Form errors an operation may raise that belong next to the form, not on an error page. */
export function formError(err: unknown): AppError | null {
  return err instanceof AppError && ['invalid', 'conflict', 'forbidden', 'not-found'].includes(err.code)
    ? err
    : null
}

export function Csrf(props: { c: Context<AppEnv> }) {
  const token = props.c.var.session?.csrfToken
  return token ? <input type="hidden" name="_csrf" value={token} /> : ''
}

export function FormAlert(props: { error?: AppError | null; notice?: string | null }) {
  if (props.error)
    return (
      <Alert kind="error">
        <span safe>{props.error.message}</span>
      </Alert>
    )
  if (props.notice)
    return (
      <Alert kind="success">
        <span safe>{props.notice}</span>
      </Alert>
    )
  return ''
}

export function FieldError(props: { error?: AppError | null; name: string }) {
  const message = props.error?.fields?.[props.name]
  return message ? (
    <span class="field-error" id={`${props.name}-error`} safe>
      {message}
    </span>
  ) : (
    ''
  )
}

export function TextField(props: {
  name: string
  label: string
  value?: string | number | null
  type?: string
  required?: boolean
  autocomplete?: string
  hint?: string
  error?: AppError | null
  min?: number
}) {
  const invalidField = !!props.error?.fields?.[props.name]
  return (
    <label class="field">
      <span safe>{props.label}</span>
      <input
        name={props.name}
        type={props.type ?? 'text'}
        value={props.value == null ? undefined : String(props.value)}
        required={props.required}
        autocomplete={props.autocomplete}
        min={props.min === undefined ? undefined : String(props.min)}
        aria-invalid={invalidField ? 'true' : undefined}
        aria-describedby={invalidField ? `${props.name}-error` : undefined}
      />
      {props.hint ? (
        <small class="text-xs text-muted" safe>
          {props.hint}
        </small>
      ) : (
        ''
      )}
      <FieldError error={props.error} name={props.name} />
    </label>
  )
}

export function SelectField(props: {
  name: string
  label: string
  value?: string | number | null
  options: { value: string | number; label: string }[]
  error?: AppError | null
  children?: Children
}) {
  return (
    <label class="field">
      <span safe>{props.label}</span>
      <select name={props.name}>
        {props.options.map((o) => (
          <option value={String(o.value)} selected={String(o.value) === String(props.value ?? '')} safe>
            {o.label}
          </option>
        ))}
      </select>
      <FieldError error={props.error} name={props.name} />
    </label>
  )
}

/** Previous/next links that keep the other query parameters. */
export function Pagination(props: {
  path: string
  query: Record<string, string | undefined>
  page: number
  perPage: number
  total: number
}) {
  const pages = Math.max(1, Math.ceil(props.total / props.perPage))
  const link = (page: number) => {
    const params = new URLSearchParams()
    for (const [k, v] of Object.entries(props.query)) if (v && k !== 'page') params.set(k, v)
    if (page > 1) params.set('page', String(page))
    const qs = params.toString()
    return qs ? `${props.path}?${qs}` : props.path
  }
  return (
    <nav class="mt-4 flex items-center justify-between text-sm text-muted" aria-label="Pages">
      <span safe>{`${props.total} in all · page ${props.page} of ${pages}`}</span>
      <span class="flex gap-2" hx-target:inherited="#main" hx-push-url:inherited="true">
        {props.page > 1 ? (
          <a class="button" href={link(props.page - 1)} hx-get={link(props.page - 1)}>
            Previous
          </a>
        ) : (
          ''
        )}
        {props.page < pages ? (
          <a class="button" href={link(props.page + 1)} hx-get={link(props.page + 1)}>
            Next
          </a>
        ) : (
          ''
        )}
      </span>
    </nav>
  )
}

/** A POST form that htmx submits into #main (and that works without JavaScript). */
export function PostForm(props: { c: Context<AppEnv>; action: string; class?: string; children: Children }) {
  return (
    <form
      method="post"
      action={props.action}
      hx-post={props.action}
      hx-target="#main"
      hx-swap="innerHTML"
      hx-indicator="#progress"
      class={props.class ?? 'space-y-4'}
    >
      <Csrf c={props.c} />
      {props.children}
    </form>
  )
}

export function when(date: Date | null | undefined): string {
  if (!date) return '—'
  return `${date.toISOString().replace('T', ' ').slice(0, 16)} UTC`
}
