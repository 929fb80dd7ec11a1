/**
 * 405 support: which methods a path is registered for. Hono answers an unregistered
 * method with 404; the app's not-found handler asks this to answer 405 with Allow.
 */
type RouteLike = { method: string; path: string }

function toRegExp(path: string): RegExp {
  const pattern = path
    .split('/')
    .map((part) => {
      if (part === '*') return '.*'
      if (part.startsWith(':')) {
        const custom = /\{(.+)\}/.exec(part)
        return custom ? `(?:${custom[1]})` : '[^/]+'
      }
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    })
    .join('/')
  return new RegExp(`^${pattern}/?$`)
}

export function methodTable(routes: readonly RouteLike[]) {
  const compiled = routes
    .filter((r) => r.method !== 'ALL' && !r.path.endsWith('*'))
    .map((r) => ({ method: r.method, re: toRegExp(r.path) }))
  return (path: string): string[] => {
    const methods = new Set<string>()
    for (const route of compiled) if (route.re.test(path)) methods.add(route.method)
    if (methods.has('GET')) methods.add('HEAD')
    return [...methods].sort()
  }
}
