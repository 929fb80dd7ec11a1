/** @jsxImportSource @kitajs/html */
/**
 * The server jobs from the UI (admins): POST /servers/:id/facts and
 * /servers/:id/bootstrap start the job and show its page. `ServerJobForms` is the
 * markup the servers page renders for them: gather facts, and bootstrap with the
 * components chosen, previewed first (dry run) or applied.
 */
import { type Context, Hono } from 'hono'
import { z } from 'zod'
import { invalid } from '../../api/validate.ts'
import { callerOf, ID, idParam } from '../../auth/caller.ts'
import { requireRole } from '../../auth/middleware.ts'
import type { AppEnv } from '../../lib/env.ts'
import { isHtmx } from '../../lib/render.tsx'
import type { Server } from '../servers/repository.ts'
import { getServer } from '../servers/service.ts'
import type { Job } from './model.ts'
import { auditServerJob } from './server-api.ts'
import { bootstrapServer, COMPONENTS, gatherFacts } from './server-jobs.ts'

export const serverJobPages = new Hono<AppEnv>()

// Per route, not use(): this sub-app shares the /servers prefix with the servers area.
const adminOnly = requireRole('admin')

const COMPONENT_LABELS: Record<(typeof COMPONENTS)[number], string> = {
  nginx: 'nginx',
  'php-fpm': 'PHP-FPM',
  mariadb: 'MariaDB',
  postgresql: 'PostgreSQL',
}

const bootstrapForm = z
  .object({
    components: z.array(z.enum(COMPONENTS)).min(1, 'choose at least one component'),
    mode: z.enum(['preview', 'apply']).default('preview'),
  })
  .strict()

/** Sends the browser to the new job's page. */
function toJob(c: Context<AppEnv>, job: Job) {
  if (isHtmx(c)) {
    c.header('HX-Redirect', `/jobs/${job.id}`)
    return c.body(null, 204)
  }
  return c.redirect(`/jobs/${job.id}`, 303)
}

serverJobPages.post(`/:id${ID}/facts`, adminOnly, async (c) => {
  const { deps } = c.var
  const caller = callerOf(c)
  const server = await getServer(deps, idParam(c))
  const job = await gatherFacts(deps, server.id, { requestedBy: caller.user.id })
  await auditServerJob(deps, caller, 'server.facts', server, job)
  return toJob(c, job)
})

serverJobPages.post(`/:id${ID}/bootstrap`, adminOnly, async (c) => {
  const { deps } = c.var
  const caller = callerOf(c)
  const form = await c.req.formData()
  const parsed = bootstrapForm.safeParse({
    components: form.getAll('components'),
    mode: form.get('mode') ?? undefined,
  })
  if (!parsed.success) throw invalid(parsed.error)
  const server = await getServer(deps, idParam(c))
  const job = await bootstrapServer(deps, server.id, {
    components: parsed.data.components,
    requestedBy: caller.user.id,
    dryRun: parsed.data.mode === 'preview',
  })
  await auditServerJob(deps, caller, 'server.bootstrap', server, job)
  return toJob(c, job)
})

/** Buttons for a server's page: gather facts; bootstrap with chosen components (preview or apply). */
export function ServerJobForms(props: { csrf: string | null; server: Server }) {
  const { csrf, server } = props
  const hidden = csrf ? <input type="hidden" name="_csrf" value={csrf} /> : ''
  return (
    <div class="flex flex-wrap items-start gap-4">
      <form method="post" action={`/servers/${server.id}/facts`}>
        {hidden}
        <button class="button" type="submit">
          Gather facts
        </button>
      </form>
      <form
        method="post"
        action={`/servers/${server.id}/bootstrap`}
        class="flex flex-wrap items-center gap-3"
      >
        {hidden}
        <fieldset class="flex flex-wrap gap-3 text-sm">
          <legend class="sr-only">Components</legend>
          {COMPONENTS.map((component) => (
            <label class="flex items-center gap-1">
              <input type="checkbox" name="components" value={component} />
              <span safe>{COMPONENT_LABELS[component]}</span>
            </label>
          ))}
        </fieldset>
        <button class="button" type="submit" name="mode" value="preview">
          Preview bootstrap
        </button>
        <button class="button button-primary" type="submit" name="mode" value="apply">
          Bootstrap
        </button>
      </form>
    </div>
  )
}
