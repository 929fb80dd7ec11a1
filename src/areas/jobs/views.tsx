/** @jsxImportSource @kitajs/html */
/**
 * The markup of the jobs area: the list, a job's page (status, details, live log)
 * and the fragments its SSE stream sends (`<hx-partial>`s appending log lines and
 * replacing the status). Log lines are plain text: escaped, coloured by what they
 * are (task headings, ok/changed/failed, the diff of a dry run).
 */
import { escapeHtml } from '@kitajs/html'
import { Card } from '../../../partials/ui.tsx'
import { when } from '../users/forms.tsx'
import { isFinished, type Job, jobKindLabel } from './model.ts'
import { recapText } from './output.ts'

/** What the views need besides the job: names for ids. */
export type JobNames = { server: (id: number | null) => string; user: (id: number | null) => string }

function lineClass(line: string): string {
  if (/^(TASK|PLAY|RUNNING HANDLER) \[/.test(line) || line.startsWith('PLAY RECAP')) return 'font-semibold'
  if (/^(fatal|failed):|^ERROR!|^\[unipanel\] (failed|cancelled|interrupted|stopping)/.test(line))
    return 'text-danger'
  if (line.startsWith('[unipanel]')) return 'text-accent'
  if (line.startsWith('changed:') || line.startsWith('[WARNING]')) return 'text-warn'
  if (line.startsWith('ok:')) return 'text-ok'
  if (line.startsWith('skipping:')) return 'text-muted'
  if (line.startsWith('@@')) return 'text-accent'
  if (/^\+(?!\+\+ )/.test(line)) return 'text-ok'
  if (/^-(?!-- )/.test(line)) return 'text-danger'
  return ''
}

/** Log lines as HTML, each escaped; one element per line so the stream can append. */
export function logLinesHtml(lines: readonly string[]): string {
  let safeHtml = ''
  for (const line of lines) {
    const cls = lineClass(line)
    safeHtml += cls ? `<span class="${cls}">${escapeHtml(line)}</span>\n` : `${escapeHtml(line)}\n`
  }
  return safeHtml
}

export function StateBadge(props: { job: Job }) {
  const { job } = props
  const label = job.state === 'running' && job.cancelRequested ? 'cancelling' : job.state
  const tone = job.state === 'interrupted' ? 'text-warn' : ''
  return <span class={`badge badge-${job.state} ${tone}`}>{label}</span>
}

export function Progress(props: { job: Pick<Job, 'tasksDone' | 'tasksTotal' | 'state'>; compact?: boolean }) {
  const { tasksDone, tasksTotal } = props.job
  const text =
    tasksTotal !== null
      ? `${Math.min(tasksDone, tasksTotal)} of ${tasksTotal} tasks`
      : tasksDone > 0
        ? `${tasksDone} tasks`
        : props.job.state === 'queued'
          ? 'waiting for its turn'
          : ''
  return (
    <span
      id={props.compact ? undefined : 'job-progress'}
      class="flex items-center gap-2 whitespace-nowrap text-sm text-muted"
    >
      {tasksTotal ? (
        <progress
          class={props.compact ? 'h-2 w-16' : 'h-2 w-32'}
          max={String(tasksTotal)}
          value={String(Math.min(tasksDone, tasksTotal))}
        ></progress>
      ) : (
        ''
      )}
      <span safe>{text}</span>
    </span>
  )
}

function ActionButton(props: {
  csrf: string | null
  job: Job
  action: string
  label: string
  primary?: boolean
  danger?: boolean
}) {
  const path = `/jobs/${props.job.id}/${props.action}`
  return (
    <form method="post" action={path} hx-post={path} hx-target="#main" hx-push-url="false">
      {props.csrf ? <input type="hidden" name="_csrf" value={props.csrf} /> : ''}
      <button
        type="submit"
        class={`button ${props.primary ? 'button-primary' : ''} ${props.danger ? 'button-danger' : ''}`}
        safe
      >
        {props.label}
      </button>
    </form>
  )
}

/** The part of the job page the stream replaces when the state changes. */
export function JobStatus(props: { csrf: string | null; job: Job }) {
  const { csrf, job } = props
  const finished = isFinished(job)
  return (
    <div id="job-status" class="card flex flex-wrap items-center gap-4">
      <StateBadge job={job} />
      <Progress job={job} />
      {job.recap ? (
        <span class="font-mono text-xs" safe>
          {recapText(job.recap)}
        </span>
      ) : (
        ''
      )}
      {job.summary && !(job.recap && job.summary === recapText(job.recap)) ? (
        <p
          class={`basis-full text-sm ${job.state === 'failed' || job.state === 'interrupted' ? 'text-danger' : 'text-muted'}`}
          safe
        >
          {job.summary}
        </p>
      ) : (
        ''
      )}
      <div class="ms-auto flex flex-wrap gap-2">
        {!finished && !job.cancelRequested ? (
          <ActionButton csrf={csrf} job={job} action="cancel" label="Cancel" danger />
        ) : (
          ''
        )}
        {finished && job.dryRun && job.state === 'succeeded' ? (
          <ActionButton csrf={csrf} job={job} action="apply" label="Apply these changes" primary />
        ) : (
          ''
        )}
        {finished ? (
          <ActionButton csrf={csrf} job={job} action="retry" label={job.dryRun ? 'Preview again' : 'Retry'} />
        ) : (
          ''
        )}
      </div>
    </div>
  )
}

export function JobDetails(props: { job: Job; names: JobNames }) {
  const { job, names } = props
  const row = (label: string, value: string) => (
    <div class="flex gap-2">
      <dt class="w-32 shrink-0 text-muted" safe>
        {label}
      </dt>
      <dd class="min-w-0 break-all" safe>
        {value}
      </dd>
    </div>
  )
  const input = JSON.stringify(job.input ?? {}, null, 2)
  return (
    <Card title="Details">
      <dl class="space-y-1 text-sm">
        {row(
          'Kind',
          jobKindLabel(job.kind) === job.kind ? job.kind : `${jobKindLabel(job.kind)} (${job.kind})`,
        )}
        {row('Server', names.server(job.serverId))}
        {row('Playbook', job.playbook)}
        {row('Mode', job.dryRun ? 'dry run (--check --diff): a preview, nothing is changed' : 'apply')}
        {row('Requested by', names.user(job.requestedBy))}
        {row('Queued', when(job.createdAt))}
        {row('Started', when(job.startedAt))}
        {row('Finished', when(job.finishedAt))}
        {job.exitCode !== null ? row('Exit code', String(job.exitCode)) : ''}
        {job.retryOf !== null ? (
          <div class="flex gap-2">
            <dt class="w-32 shrink-0 text-muted">Repeats</dt>
            <dd>
              <a class="link" href={`/jobs/${job.retryOf}`} safe>{`job #${job.retryOf}`}</a>
            </dd>
          </div>
        ) : (
          ''
        )}
        {job.batchId !== null && job.batchId !== job.id ? (
          <div class="flex gap-2">
            <dt class="w-32 shrink-0 text-muted">Ran in the play of</dt>
            <dd>
              <a class="link" href={`/jobs/${job.batchId}`} safe>{`job #${job.batchId}`}</a>
            </dd>
          </div>
        ) : (
          ''
        )}
      </dl>
      <details class="mt-3 text-sm">
        <summary class="cursor-pointer text-muted">Input (secrets are not shown)</summary>
        <pre class="mt-2 overflow-x-auto rounded-lg bg-surface-2 p-3 text-xs" safe>
          {input}
        </pre>
      </details>
    </Card>
  )
}

/** The log box; while the job runs, the stream appends to it. */
export function JobLog(props: { job: Job; lines: readonly string[] }) {
  const { job, lines } = props
  const safeLines = logLinesHtml(lines)
  return (
    <section class="card p-0">
      <div class="flex items-center justify-between border-b border-line px-4 py-2 text-sm">
        <h2 class="font-semibold">Log</h2>
        <a class="link" href={`/jobs/${job.id}/log`}>
          Plain text
        </a>
      </div>
      <pre
        id="job-log"
        class="max-h-[70vh] min-h-40 overflow-auto whitespace-pre-wrap break-all p-4 font-mono text-xs leading-5"
        data-autoscroll
        tabindex="0"
      >
        {safeLines}
      </pre>
      {isFinished(job) ? (
        <div id="job-live"></div>
      ) : (
        <div id="job-live" hx-sse:connect={`/jobs/${job.id}/stream?after=${lines.length}`}></div>
      )}
    </section>
  )
}

/** The fragments one stream message carries. */
export const appendLinesPartial = (lines: readonly string[]) =>
  `<hx-partial hx-target="#job-log" hx-swap="beforeend">${logLinesHtml(lines)}</hx-partial>`

export const replacePartial = (id: string, html: string) =>
  `<hx-partial hx-target="#${id}" hx-swap="outerHTML">${html}</hx-partial>`

/** Ends the stream on the page: the connector is replaced by an element without hx-sse. */
export const streamEndPartial = () => replacePartial('job-live', '<div id="job-live"></div>')
