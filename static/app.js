// Unipanel's only script of its own: theme switching and the mobile menu. No inline
// scripts anywhere (the CSP forbids them); htmx does the rest.
;(() => {
  const root = document.documentElement
  const order = ['system', 'light', 'dark']

  const currentTheme = () =>
    root.classList.contains('dark') ? 'dark' : root.classList.contains('light') ? 'light' : 'system'

  function applyTheme(theme) {
    root.classList.remove('light', 'dark')
    if (theme !== 'system') root.classList.add(theme)
    // Remembered for a year; the server reads it to paint the first frame right.
    // biome-ignore lint/suspicious/noDocumentCookie: a plain preference cookie the server reads for the first paint
    document.cookie = `theme=${theme}; path=/; max-age=31536000; samesite=lax`
    for (const button of document.querySelectorAll('[data-theme-toggle]')) {
      button.setAttribute('data-theme', theme)
      button.setAttribute('title', `Theme: ${theme}`)
    }
  }

  document.addEventListener('click', (event) => {
    const target = event.target instanceof Element ? event.target : null
    if (target?.closest('[data-theme-toggle]')) {
      const next = order[(order.indexOf(currentTheme()) + 1) % order.length]
      applyTheme(next)
    }
    const sidebar = document.getElementById('sidebar')
    if (target?.closest('[data-sidebar-toggle]')) {
      sidebar?.toggleAttribute('data-open')
    } else if (sidebar?.hasAttribute('data-open') && target?.closest('#sidebar a')) {
      sidebar.removeAttribute('data-open')
    }
  })

  document.addEventListener('DOMContentLoaded', () => {
    for (const button of document.querySelectorAll('[data-theme-toggle]')) {
      button.setAttribute('data-theme', currentTheme())
      button.setAttribute('title', `Theme: ${currentTheme()}`)
    }
  })

  // A log marked [data-autoscroll] (a job's live log) follows new lines, unless the reader scrolled up.
  document.addEventListener(
    'scroll',
    (event) => {
      const log = event.target
      if (log instanceof Element && log.hasAttribute('data-autoscroll'))
        log.toggleAttribute('data-unpinned', log.scrollHeight - log.scrollTop - log.clientHeight > 40)
    },
    true,
  )
  const followLogs = () => {
    for (const log of document.querySelectorAll('[data-autoscroll]:not([data-unpinned])'))
      log.scrollTop = log.scrollHeight
  }
  for (const name of ['DOMContentLoaded', 'htmx:after:swap', 'htmx:sse:after:message'])
    document.addEventListener(name, followLogs)

  // Toasts leave by themselves after a few seconds.
  document.addEventListener('htmx:after:swap', () => {
    for (const toast of document.querySelectorAll('#toasts .toast:not([data-timed])')) {
      toast.setAttribute('data-timed', '')
      setTimeout(() => toast.remove(), 6000)
    }
  })
})()
