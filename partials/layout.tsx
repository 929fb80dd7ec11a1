/** @jsxImportSource @kitajs/html */
/**
 * The page shell: sidebar, header with theme switch, main area, toasts and the
 * loading bar. No inline script or style (the CSP forbids both); behaviour lives in
 * static/app.js and htmx. The theme comes from a cookie, so the first paint is right.
 */
import type { Children } from '@kitajs/html'
import type { User } from '../src/areas/users/repository.ts'
import { assetUrl } from '../src/lib/assets.ts'
import { Icon } from './icons.tsx'
import { NAV } from './nav.ts'

export type Theme = 'light' | 'dark' | 'system'

export type ShellProps = {
  title: string
  theme: Theme
  csrfToken: string | null
  user: User | null
  path: string
  children: Children
}

/** htmx config from a meta tag: no injected indicator style (CSP), same-origin only. */
const HTMX_CONFIG = JSON.stringify({ includeIndicatorCSS: false, mode: 'same-origin', defaultTimeout: 60000 })

export function Document(props: {
  title: string
  theme: Theme
  csrfToken: string | null
  children: Children
}) {
  return (
    <>
      {'<!doctype html>'}
      <html lang="en" dir="ltr" class={props.theme === 'system' ? undefined : props.theme}>
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="color-scheme" content="light dark" />
          {props.csrfToken ? <meta name="csrf-token" content={props.csrfToken} /> : ''}
          <meta name="htmx-config" content={HTMX_CONFIG} />
          <title safe>{`${props.title} · Unipanel`}</title>
          <link rel="icon" href={assetUrl('favicon.svg')} type="image/svg+xml" />
          <link rel="stylesheet" href={assetUrl('app.css')} />
          <script src={assetUrl('vendor/htmx.min.js')} defer></script>
          <script src={assetUrl('vendor/hx-sse.min.js')} defer></script>
          <script src={assetUrl('app.js')} defer></script>
        </head>
        <body
          class="min-h-dvh bg-bg text-fg antialiased"
          hx-headers:inherited={
            props.csrfToken ? JSON.stringify({ 'X-CSRF-Token': props.csrfToken }) : undefined
          }
        >
          <div id="progress" class="htmx-indicator progress-bar" aria-hidden="true"></div>
          {props.children}
          <div id="toasts" class="toasts" aria-live="polite" role="status"></div>
        </body>
      </html>
    </>
  )
}

export function ThemeButton() {
  return (
    <button
      type="button"
      class="icon-button"
      data-theme-toggle
      aria-label="Switch theme (system, light, dark)"
      title="Theme"
    >
      <Icon name="theme" />
    </button>
  )
}

export function Shell(props: ShellProps) {
  const entries = NAV.filter((entry) => props.user && entry.roles.includes(props.user.role))
  return (
    <Document title={props.title} theme={props.theme} csrfToken={props.csrfToken}>
      <a href="#main" class="skip-link">
        Skip to content
      </a>
      <div class="flex min-h-dvh">
        <aside
          id="sidebar"
          class="sidebar fixed inset-y-0 start-0 z-30 w-64 -translate-x-full rtl:translate-x-full border-e border-line bg-surface transition-transform md:static md:translate-x-0 rtl:md:translate-x-0"
          aria-label="Main menu"
        >
          <div class="flex h-14 items-center gap-2 px-4 text-lg font-semibold">
            <img src={assetUrl('favicon.svg')} alt="" class="size-6" />
            Unipanel
          </div>
          <nav
            class="flex flex-col gap-0.5 px-2"
            hx-target:inherited="#main"
            hx-push-url:inherited="true"
            hx-indicator:inherited="#progress"
          >
            {entries.map((entry) => {
              const current = entry.href === '/' ? props.path === '/' : props.path.startsWith(entry.href)
              return (
                <a
                  href={entry.href}
                  hx-get={entry.href}
                  class="nav-link"
                  aria-current={current ? 'page' : undefined}
                  data-keywords={entry.keywords}
                >
                  <Icon name={entry.icon} />
                  <span safe>{entry.label}</span>
                </a>
              )
            })}
          </nav>
        </aside>
        <div class="flex min-w-0 flex-1 flex-col">
          <header class="sticky top-0 z-20 flex h-14 items-center gap-2 border-b border-line bg-surface/90 px-4 backdrop-blur">
            <button
              type="button"
              class="icon-button md:hidden"
              data-sidebar-toggle
              aria-controls="sidebar"
              aria-label="Open menu"
            >
              <Icon name="menu" />
            </button>
            <div class="flex-1"></div>
            <ThemeButton />
            {props.user ? (
              <form method="post" action="/logout" class="flex items-center gap-2">
                <input type="hidden" name="_csrf" value={props.csrfToken ?? ''} />
                <span class="hidden text-sm text-muted sm:inline" safe>
                  {props.user.username}
                </span>
                <button type="submit" class="icon-button" aria-label="Sign out" title="Sign out">
                  <Icon name="logout" />
                </button>
              </form>
            ) : (
              ''
            )}
          </header>
          <main id="main" class="mx-auto w-full max-w-7xl flex-1 p-4 md:p-6" tabindex="-1">
            {props.children}
          </main>
        </div>
      </div>
    </Document>
  )
}
