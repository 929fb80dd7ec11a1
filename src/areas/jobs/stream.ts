/**
 * A job's live log over SSE, for the job page. The page holds lines 1..n; the
 * stream subscribes to `job:<id>` first, then sends what the log has beyond n, then
 * every new line as it is published (on any panel process: the bus crosses them
 * with LISTEN/NOTIFY). Line numbers make it exact: nothing is sent twice, events
 * that arrive out of order are put back in order (briefly held), and a reconnect
 * resumes from Last-Event-ID. When the job ends the stream sends the final status,
 * replaces the connector (so the browser does not reconnect) and closes.
 *
 * @example
 *   jobPages.get('/:id/stream', async (c) => jobStream(c, await visibleJob(deps, user, id)))
 */
import type { Context } from 'hono'
import type { AppEnv } from '../../lib/env.ts'
import { sseStream } from '../../lib/sse.ts'
import { type JobEvent, jobTopic, logLines } from './log.ts'
import { isFinished, type Job, logKeyOf } from './model.ts'
import { findJob } from './repository.ts'
import { jobLogText } from './service.ts'
import { appendLinesPartial, JobStatus, Progress, replacePartial, streamEndPartial } from './views.tsx'

/** How long lines after a gap wait for the missing ones before they are shown anyway. */
const GAP_WAIT_MS = 1000

export function jobStream(c: Context<AppEnv>, initial: Job) {
  const { deps } = c.var
  const csrf = c.var.session?.csrfToken ?? null
  const fromQuery = Number(c.req.query('after') ?? 0)
  const fromHeader = Number(c.req.header('last-event-id') ?? Number.NaN)
  const start = Math.max(
    0,
    Number.isFinite(fromHeader) ? fromHeader : Number.isFinite(fromQuery) ? fromQuery : 0,
  )

  return sseStream(c, async (send, close) => {
    let job = initial
    let key = logKeyOf(job)
    let sent = start
    let ready = false
    let ended = false
    let busy: Promise<void> = Promise.resolve()
    const early: JobEvent[] = []
    const held = new Map<number, string[]>()
    let gapTimer: ReturnType<typeof setTimeout> | null = null
    const subscriptions = new Map<number, () => void>()
    // The job's own topic carries its state; its log key's topic (another job's, in a play) the lines.
    const follow = (topicKey: number) => {
      if (!subscriptions.has(topicKey))
        subscriptions.set(topicKey, deps.events.subscribe(jobTopic(topicKey), listener))
    }

    const emit = (lines: string[], from: number) => {
      const fresh = lines.slice(Math.max(0, sent - from + 1))
      if (fresh.length === 0) return
      sent = from + lines.length - 1
      send(appendLinesPartial(fresh), { id: String(sent) })
    }
    const releaseHeld = (force: boolean) => {
      for (;;) {
        const next = [...held.keys()].sort((a, b) => a - b)[0]
        if (next === undefined || (!force && next > sent + 1)) return
        const lines = held.get(next)!
        held.delete(next)
        emit(lines, next)
      }
    }
    const catchUp = async () => {
      const lines = logLines(await jobLogText(deps, job))
      if (lines.length > sent) emit(lines.slice(sent), sent + 1)
      releaseHeld(false)
    }
    const status = async () => send(replacePartial('job-status', await JobStatus({ csrf, job })))
    const finish = async () => {
      if (ended) return
      ended = true
      if (gapTimer) clearTimeout(gapTimer)
      await catchUp()
      releaseHeld(true)
      await status()
      send(streamEndPartial())
      close()
    }

    const handle = async (event: JobEvent) => {
      if (ended) return
      if (event.t === 'lines') {
        if (event.n <= sent + 1) {
          emit(event.lines, event.n)
          releaseHeld(false)
          return
        }
        held.set(event.n, event.lines)
        await catchUp()
        if (held.size && !gapTimer)
          gapTimer = setTimeout(() => {
            gapTimer = null
            releaseHeld(true)
          }, GAP_WAIT_MS)
        return
      }
      if (event.t === 'progress') {
        job = { ...job, tasksDone: event.done, tasksTotal: event.total }
        send(replacePartial('job-progress', await Progress({ job })))
        return
      }
      job = (await findJob(deps.database, job.id)) ?? job
      if (logKeyOf(job) !== key) {
        // The job joined another's play: follow that play's log from its start.
        if (key !== job.id) subscriptions.get(key)?.()
        subscriptions.delete(key)
        key = logKeyOf(job)
        sent = 0
        held.clear()
        follow(key)
        await catchUp()
      }
      if (isFinished(job)) await finish()
      else await status()
    }
    // One event at a time, in arrival order, even though handling may wait on the database.
    const listener = (payload: unknown) => {
      const event = payload as JobEvent
      if (!ready) {
        early.push(event)
        return
      }
      busy = busy.then(() => handle(event)).catch(() => close())
    }

    follow(job.id)
    follow(key)
    job = (await findJob(deps.database, job.id)) ?? job
    await catchUp()
    ready = true
    for (const event of early.splice(0)) busy = busy.then(() => handle(event))
    await busy
    if (isFinished(job)) await finish()
    return () => {
      if (gapTimer) clearTimeout(gapTimer)
      for (const off of subscriptions.values()) off()
    }
  })
}
