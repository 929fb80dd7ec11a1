/** The servers area: the fleet the panel manages, the panel's own host first. */
import { Hono } from 'hono'
import { PageHeader } from '../../../partials/ui.tsx'
import { requireRole } from '../../auth/middleware.ts'
import type { AppEnv } from '../../lib/env.ts'
import { page } from '../../lib/render.tsx'
import { listServers } from './repository.ts'

export const serverPages = new Hono<AppEnv>()

serverPages.use(requireRole('admin'))

serverPages.get('/', async (c) => {
  const servers = await listServers(c.var.deps.database)
  return page(
    c,
    'Servers',
    <>
      <PageHeader title="Servers" description="The panel's own host and the servers it manages over SSH." />
      <div class="card overflow-x-auto p-0">
        <table class="table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Host</th>
              <th>Connection</th>
              <th>Status</th>
            </tr>
          </thead>
          <tbody>
            {servers.map((server) => (
              <tr>
                <td class="font-medium" safe>
                  {server.name}
                </td>
                <td safe>
                  {server.connection === 'local'
                    ? 'this host'
                    : `${server.user}@${server.host}:${server.port}`}
                </td>
                <td>{server.connection}</td>
                <td>
                  <span class={`badge badge-${server.status}`}>{server.status}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>,
  )
})
