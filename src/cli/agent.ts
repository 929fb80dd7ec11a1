/**
 * `unipanel agent`: runs on a managed server and pushes its metrics to the panel with
 * the server's agent token, using the panel's own collector. It imports nothing heavy,
 * because it lives on every host (budget: 35 MB, 0.2 % of a core at 5 s). While the
 * panel cannot be reached it keeps a bounded buffer of samples (the oldest go first)
 * and retries with exponential backoff; a batch the panel refuses as invalid is
 * dropped, since sending it again would not help.
 *
 * The token comes from --token, --token-file F or UNIPANEL_AGENT_TOKEN; the file or the
 * environment keep it out of the process list (the systemd unit uses --token-file).
 */
import { readFileSync } from 'node:fs'
import pkg from '../../package.json' with { type: 'json' }
import { createCollector, type Sample } from '../areas/metrics/collector.ts'
import { OperationError, UsageError } from './args.ts'

export const AGENT_HELP = `Usage: unipanel agent --panel URL (--token T | --token-file F) [--interval S]
Pushes this host's metrics to the panel every S seconds (default 5, 1 to 3600).
The token may also come from UNIPANEL_AGENT_TOKEN; a file or the environment keep it
out of the process list. Samples are buffered while the panel is unreachable.`

/** About an hour of samples at 5 s; older ones are dropped first. */
export const MAX_BUFFER = 720
const MAX_BATCH = 500
const MAX_BACKOFF_MS = 60_000
const REQUEST_TIMEOUT_MS = 10_000

type Options = { endpoint: string; token: string; intervalSeconds: number }

const FLAGS = ['panel', 'token', 'token-file', 'interval'] as const
type Flag = (typeof FLAGS)[number]

/** `--name value` or `--name=value` for the agent's few flags (node:util would cost 4 MB here). */
export function parseAgentFlags(argv: string[]): {
  values: Partial<Record<Flag, string>> & { help?: boolean }
  positionals: string[]
} {
  const values: Partial<Record<Flag, string>> & { help?: boolean } = {}
  const positionals: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--help' || arg === '-h') {
      values.help = true
      continue
    }
    if (!arg.startsWith('--')) {
      positionals.push(arg)
      continue
    }
    const eq = arg.indexOf('=')
    const name = (eq < 0 ? arg.slice(2) : arg.slice(2, eq)) as Flag
    if (!FLAGS.includes(name))
      throw new UsageError(`agent: unknown option ${arg.slice(0, eq < 0 ? undefined : eq)}`)
    const value = eq < 0 ? argv[++i] : arg.slice(eq + 1)
    if (value === undefined || (eq < 0 && value.startsWith('--')))
      throw new UsageError(`agent: --${name} needs a value`)
    if (values[name] !== undefined) throw new UsageError(`agent: --${name} is given twice`)
    values[name] = value
  }
  return { values, positionals }
}

function readOptions(argv: string[], env: Record<string, string | undefined>): Options | 'help' {
  const { values, positionals } = parseAgentFlags(argv)
  if (values.help) return 'help'
  if (positionals.length) throw new UsageError(`agent: unexpected argument ${positionals[0]}`)
  if (!values.panel) throw new UsageError('agent: --panel URL is required')
  let panel: URL
  try {
    panel = new URL(values.panel)
  } catch {
    throw new UsageError('agent: --panel must be a URL such as https://panel.example.com')
  }
  if ((panel.protocol !== 'http:' && panel.protocol !== 'https:') || panel.username || panel.password)
    throw new UsageError('agent: --panel must be an http:// or https:// URL without user information')
  if (values.token !== undefined && values['token-file'] !== undefined)
    throw new UsageError('agent: give --token or --token-file, not both')
  let token = values.token ?? env.UNIPANEL_AGENT_TOKEN
  if (values['token-file'] !== undefined) {
    try {
      token = readFileSync(values['token-file'], 'utf8').trim()
    } catch (err) {
      throw new OperationError(
        `agent: cannot read the token file ${values['token-file']} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      )
    }
  }
  if (!token)
    throw new UsageError('agent: a token is required (--token, --token-file or UNIPANEL_AGENT_TOKEN)')
  if (!/^ua_[A-Za-z0-9_-]{40,64}$/.test(token))
    throw new UsageError(
      'agent: the token does not look like an agent token (ua_…); issue one on the server page',
    )
  const interval = values.interval ?? '5'
  if (!/^\d{1,4}$/.test(interval) || Number(interval) < 1 || Number(interval) > 3600)
    throw new UsageError('agent: --interval must be a number of seconds from 1 to 3600')
  const base = panel.toString().replace(/\/+$/, '')
  return { endpoint: `${base}/api/v1/agent/samples`, token, intervalSeconds: Number(interval) }
}

const log = (message: string) => process.stderr.write(`${new Date().toISOString()} agent ${message}\n`)

export async function commandAgent(argv: string[], env: Record<string, string | undefined> = process.env) {
  const read = readOptions(argv, env)
  if (read === 'help') {
    process.stdout.write(`${AGENT_HELP}\n`)
    return 0
  }
  const options: Options = read
  const collector = createCollector()
  const buffer: Sample[] = []
  let dropped = 0
  let failures = 0
  let nextSendAt = 0
  let sending = false
  let state: 'starting' | 'ok' | 'unreachable' | 'refused' = 'starting'

  const say = (next: typeof state, message: string) => {
    if (state !== next) log(message)
    state = next
  }

  async function send(): Promise<void> {
    if (sending || buffer.length === 0 || Date.now() < nextSendAt) return
    sending = true
    const batch = buffer.slice(0, MAX_BATCH)
    try {
      const res = await fetch(options.endpoint, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${options.token}`,
          'content-type': 'application/json',
          'user-agent': `unipanel-agent/${pkg.version}`,
        },
        body: JSON.stringify({ samples: batch }),
        redirect: 'manual',
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      })
      await res.body?.cancel()
      if (res.status === 202 || res.status === 422) {
        // Sent, or refused as invalid (resending would not help): either way it leaves the buffer.
        buffer.splice(0, batch.length)
        failures = 0
        nextSendAt = 0
        if (res.status === 422)
          log(`the panel refused ${batch.length} sample(s) as invalid; check this host's clock`)
        else
          say(
            'ok',
            `sending to ${new URL(options.endpoint).origin}${dropped ? ` (${dropped} samples were dropped while it was away)` : ''}`,
          )
        dropped = 0
        if (buffer.length > 0) queueMicrotask(() => void send())
        return
      }
      if (res.status === 401 || res.status === 403)
        say('refused', 'the panel refused the token; issue a new one on the server page')
      else say('unreachable', `the panel answered ${res.status}; retrying with backoff`)
    } catch (err) {
      say('unreachable', `cannot reach the panel (${(err as Error).message}); buffering samples`)
    } finally {
      sending = false
    }
    failures++
    const backoff = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(failures - 1, 16))
    nextSendAt = Date.now() + backoff * (0.8 + Math.random() * 0.4)
  }

  function tick() {
    buffer.push(collector.sample(options.intervalSeconds))
    if (buffer.length > MAX_BUFFER) {
      dropped += buffer.length - MAX_BUFFER
      buffer.splice(0, buffer.length - MAX_BUFFER)
    }
    void send()
  }

  log(`started, every ${options.intervalSeconds} s, pushing to ${new URL(options.endpoint).origin}`)
  const timer = setInterval(tick, options.intervalSeconds * 1000)
  // Retries between ticks, so a long interval does not stretch the backoff.
  const retry = setInterval(() => void send(), 1000)
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  clearInterval(timer)
  clearInterval(retry)
  nextSendAt = 0
  await send()
  log('stopped')
  return 0
}
