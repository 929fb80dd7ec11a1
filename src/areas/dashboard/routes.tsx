/** @jsxImportSource @kitajs/html */
/**
 * The dashboard: the status card of every server the user may see, live over SSE, and
 * the user's account. Cards are updated in place (`<hx-partial>` per card); updates of
 * a large fleet are gathered for a second so a viewer gets one message, not hundreds.
 */
import { Hono } from 'hono'
import { Card, PageHeader } from '../../../partials/ui.tsx'
import type { Deps } from '../../deps.ts'
import type { AppEnv } from '../../lib/env.ts'
import { page } from '../../lib/render.tsx'
import { sseStream } from '../../lib/sse.ts'
import { type Feed, feedsFor } from '../metrics/feeds.ts'
import { allLatest } from '../metrics/store.ts'
import { listServers, type Server } from '../servers/repository.ts'
import { CardBody } from '../servers/views.tsx'
import { visibleServers } from '../servers/visibility.ts'
import type { User } from '../users/repository.ts'

export const dashboard = new Hono<AppEnv>()

/** How long card updates are gathered into one SSE message. */
export const COALESCE_MS = 1000

async function serversFor(deps: Deps, user: User): Promise<{ servers: Server[]; admin: boolean }> {
  const visible = await visibleServers(deps, user)
  if (visible.all) return { servers: await listServers(deps.database), admin: true }
  if (visible.ids.size === 0) return { servers: [], admin: false }
  return { servers: (await listServers(deps.database)).filter((s) => visible.has(s.id)), admin: false }
}

const cardId = (id: number) => `server-card-${id}`

dashboard.get('/', async (c) => {
  const user = c.var.user!
  const { servers, admin } = await serversFor(c.var.deps, user)
  const latest = new Map(
    (servers.length ? await allLatest(c.var.deps.database) : []).map((l) => [l.serverId, l.sample]),
  )
  return page(
    c,
    'Dashboard',
    <>
      <PageHeader title={`Welcome, ${user.username}`} description="The state of your hosting at a glance." />
      {servers.length > 0 ? (
        <section class="mb-6" aria-label="Servers">
          <h2 class="mb-3 text-sm font-semibold uppercase tracking-wide text-muted">Servers</h2>
          <div
            class="grid gap-4 sm:grid-cols-2 lg:grid-cols-3"
            hx-sse:connect="/dashboard/live"
            hx-swap="none"
          >
            {servers.map((server) => (
              <article id={cardId(server.id)} class="card">
                <CardBody
                  name={server.name}
                  href={admin ? `/servers/${server.id}` : null}
                  state={{
                    serverId: server.id,
                    points: [],
                    latest: latest.get(server.id) ?? null,
                    status: server.status,
                  }}
                />
              </article>
            ))}
          </div>
        </section>
      ) : (
        ''
      )}
      <div class="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
        <Card title="Your account">
          <dl class="grid grid-cols-2 gap-1 text-sm">
            <dt class="text-muted">Role</dt>
            <dd>{user.role}</dd>
            <dt class="text-muted">Two-factor</dt>
            <dd>{user.totpEnabled ? 'on' : 'off'}</dd>
          </dl>
        </Card>
      </div>
    </>,
  )
})

/** The cards of the servers this user may see, and no other, as they change. */
dashboard.get('/dashboard/live', async (c) => {
  const { servers, admin } = await serversFor(c.var.deps, c.var.user!)
  const feeds = feedsFor(c.var.deps)
  return sseStream(c, async (send) => {
    const pending = new Map<number, string>()
    let timer: ReturnType<typeof setTimeout> | null = null
    const flush = () => {
      timer = null
      if (pending.size === 0) return
      send(pending.size === 1 ? pending.values().next().value! : [...pending.values()].join(''))
      pending.clear()
    }
    const card = (server: Server, feed: Feed) =>
      feed.memo(admin ? 'card-admin' : 'card', () =>
        String(
          <hx-partial hx-target={`#${cardId(server.id)}`} hx-swap="innerHTML">
            <CardBody name={server.name} href={admin ? `/servers/${server.id}` : null} state={feed} />
          </hx-partial>,
        ),
      )
    const joined = await Promise.all(
      servers.map((server) =>
        feeds.join(server.id, (feed) => {
          pending.set(server.id, card(server, feed))
          timer ??= setTimeout(flush, COALESCE_MS)
        }),
      ),
    )
    const leaves = joined.map((j) => j.leave)
    // Every card as it is now, at once: a reconnecting tab (shown again) is up to date.
    if (servers.length > 0) send(servers.map((server, i) => card(server, joined[i]!.feed)).join(''))
    return () => {
      if (timer) clearTimeout(timer)
      for (const leave of leaves) leave()
    }
  })
})
