/** The dashboard: what the signed-in user has, and the state of the panel. */
import { Hono } from 'hono'
import { Card, PageHeader } from '../../../partials/ui.tsx'
import type { AppEnv } from '../../lib/env.ts'
import { page } from '../../lib/render.tsx'
import { listServers } from '../servers/repository.ts'

export const dashboard = new Hono<AppEnv>()

dashboard.get('/', async (c) => {
  const user = c.var.user!
  const servers = user.role === 'admin' ? await listServers(c.var.deps.database) : []
  return page(
    c,
    'Dashboard',
    <>
      <PageHeader title={`Welcome, ${user.username}`} description="The state of your hosting at a glance." />
      <div class="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
        {user.role === 'admin' ? (
          <Card title="Servers">
            <ul class="space-y-2">
              {servers.map((server) => (
                <li class="flex items-center justify-between gap-2">
                  <span class="font-medium" safe>
                    {server.name}
                  </span>
                  <span class={`badge badge-${server.status}`}>{server.status}</span>
                </li>
              ))}
            </ul>
          </Card>
        ) : (
          ''
        )}
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
