/** @jsxImportSource @kitajs/html */
/** Small shared pieces of page markup: headings, cards, empty states, skeletons, alerts. */
import type { Children } from '@kitajs/html'

export function PageHeader(props: { title: string; description?: string; children?: Children }) {
  return (
    <div class="mb-6 flex flex-wrap items-end justify-between gap-3">
      <div>
        <h1 class="text-2xl font-semibold tracking-tight" safe>
          {props.title}
        </h1>
        {props.description ? (
          <p class="mt-1 text-sm text-muted" safe>
            {props.description}
          </p>
        ) : (
          ''
        )}
      </div>
      {props.children ?? ''}
    </div>
  )
}

export function Card(props: { title?: string; class?: string; children: Children }) {
  return (
    <section class={`card ${props.class ?? ''}`}>
      {props.title ? (
        <h2 class="mb-3 text-sm font-semibold uppercase tracking-wide text-muted" safe>
          {props.title}
        </h2>
      ) : (
        ''
      )}
      {props.children}
    </section>
  )
}

export function EmptyState(props: { title: string; children?: Children }) {
  const safeDetails = props.children
  return (
    <div class="card flex flex-col items-center gap-2 py-12 text-center">
      <p class="font-medium" safe>
        {props.title}
      </p>
      {safeDetails ? <div class="text-sm text-muted">{safeDetails}</div> : ''}
    </div>
  )
}

/** Grey placeholder rows shown while an htmx request fills the real content. */
export function Skeleton(props: { rows?: number }) {
  return (
    <div class="animate-pulse space-y-3" aria-hidden="true">
      {Array.from({ length: props.rows ?? 3 }, () => (
        <div class="skeleton-line"></div>
      ))}
    </div>
  )
}

export function Alert(props: { kind: 'error' | 'info' | 'success'; children: Children }) {
  return (
    <div class={`alert alert-${props.kind}`} role={props.kind === 'error' ? 'alert' : 'status'}>
      {props.children}
    </div>
  )
}

/** A toast, swapped into #toasts out of band by any response that wants to say something. */
export function Toast(props: { kind: 'error' | 'info' | 'success'; message: string }) {
  return (
    <hx-partial hx-target="#toasts" hx-swap="beforeend">
      <div class={`toast alert alert-${props.kind}`} role="status" safe>
        {props.message}
      </div>
    </hx-partial>
  )
}

/** A link to another page of the panel that swaps #main through htmx and pushes the URL. */
export function PageLink(props: { href: string; label: string }) {
  return (
    <a class="link" href={props.href} hx-get={props.href} hx-target="#main" hx-push-url="true" safe>
      {props.label}
    </a>
  )
}
