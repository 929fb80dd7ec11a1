/**
 * Server-Sent Events for htmx 4's SSE extension: unnamed messages carrying HTML
 * (often `<hx-partial>` fragments), a heartbeat comment well inside Bun's idle
 * timeout, and cleanup when the client goes away.
 *
 * @example
 *   app.get('/jobs/:id/stream', (c) =>
 *     sseStream(c, (send) => deps.events.subscribe(`job:${id}`, (p) => send(render(p)))))
 */
import type { Context } from 'hono'
import { streamSSE } from 'hono/streaming'

export const HEARTBEAT_MS = 15_000

type Send = (html: string, options?: { event?: string; id?: string }) => void

/**
 * Streams until the client disconnects or `setup`'s `close()` is called. `setup`
 * subscribes and returns its unsubscribe function, which always runs at the end.
 */
export function sseStream(
  c: Context,
  setup: (send: Send, close: () => void) => (() => void) | Promise<() => void>,
  options: { heartbeatMs?: number } = {},
) {
  c.header('Cache-Control', 'no-store')
  c.header('X-Accel-Buffering', 'no')
  return streamSSE(c, async (stream) => {
    let done = false
    let wake: () => void = () => {}
    const finished = new Promise<void>((resolve) => {
      wake = resolve
    })
    const close = () => {
      done = true
      wake()
    }
    stream.onAbort(close)
    // Writes are chained, so a message sent just before close() still goes out before the stream ends.
    let writes: Promise<void> = Promise.resolve()
    const send: Send = (html, opts) => {
      if (done) return
      writes = writes
        .then(() => stream.writeSSE({ data: html, event: opts?.event, id: opts?.id }))
        .catch(close)
    }
    const unsubscribe = await setup(send, close)
    const heartbeat = setInterval(() => {
      if (done) return
      stream.write(': keep-alive\n\n').catch(close)
    }, options.heartbeatMs ?? HEARTBEAT_MS)
    try {
      if (!done) await finished
      await writes
    } finally {
      clearInterval(heartbeat)
      unsubscribe()
    }
  })
}
