/**
 * Evaluates alert rules. Every sample is compared in memory with the rules that apply to
 * its server (by id, by tag, or every server); only a change of state touches the
 * database: pending (waiting out `for_seconds`), firing, resolved once the value went
 * back past the threshold by the rule's hysteresis. State changes are conditional writes
 * on alert_states, so with several panel processes exactly one of them fires or resolves
 * and sends the message. The "offline" metric counts missed sample intervals and is
 * checked by the periodic fleet check instead of per sample.
 *
 * @example
 *   evaluateSample(deps, serverId, sample, Date.now())
 *   await alertEngine(deps).idle() // tests: wait for states and deliveries
 */
import type { Deps } from '../../deps.ts'
import type { Sample } from '../metrics/collector.ts'
import { type AlertMessage, DeliveryError, deliver } from './channels.ts'
import { maskPrivate } from './mask.ts'
import { ALERT_METRICS, type AlertMetricName, cleared, compare, formatValue, type Op } from './metrics.ts'
import {
  type AlertState,
  allRules,
  asChannelRow,
  claimState,
  dropState,
  findChannel,
  findState,
  loadStates,
  promoteState,
  type Rule,
  recordEvent,
  setDelivery,
} from './repository.ts'

export const ALERTS_CHANGED = 'alerts:changed'
export const SERVERS_CHANGED = 'servers:changed'

type ServerInfo = { name: string; tags: string[] }

export type AlertEngine = {
  onSample(serverId: number, sample: Sample, at: number): void
  /** The offline rules, given each server's last sample time and interval. */
  checkOffline(
    latest: readonly { serverId: number; at: number; intervalSeconds: number }[],
    now: number,
  ): void
  /** Resolves when every queued state change and delivery has finished. */
  idle(): Promise<void>
  /** Firing alerts known to this process (for /metrics). */
  firing(): number
  close(): Promise<void>
}

const engines = new WeakMap<Deps, AlertEngine>()

export function alertEngine(deps: Deps): AlertEngine {
  let engine = engines.get(deps)
  if (!engine) {
    engine = createEngine(deps)
    engines.set(deps, engine)
    const made = engine
    deps.onClose.push(() => made.close())
  }
  return engine
}

export function evaluateSample(deps: Deps, serverId: number, sample: Sample, at: number): void {
  alertEngine(deps).onSample(serverId, sample, at)
}

const RETRY_MS = [0, 2000, 10_000]

function createEngine(deps: Deps): AlertEngine {
  let rules: Rule[] = []
  let servers = new Map<number, ServerInfo>()
  const states = new Map<string, AlertState>()
  const deliveries = new Set<Promise<void>>()
  let closed = false
  // Retry waits end early when the panel stops.
  const sleepers = new Set<() => void>()
  const nap = (ms: number) =>
    new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer)
        sleepers.delete(wake)
        resolve()
      }
      const timer = setTimeout(wake, ms)
      sleepers.add(wake)
    })
  const key = (ruleId: number, serverId: number) => `${ruleId}:${serverId}`

  const load = async () => {
    const { db, t } = deps.database
    const [loadedRules, serverRows, stateRows] = await Promise.all([
      allRules(deps.database),
      db.select({ id: t.servers.id, name: t.servers.name, tags: t.servers.tags }).from(t.servers),
      loadStates(deps.database),
    ])
    rules = loadedRules.filter((r) => r.enabled)
    servers = new Map(serverRows.map((s) => [s.id, { name: s.name, tags: s.tags }]))
    states.clear()
    for (const state of stateRows) states.set(key(state.ruleId, state.serverId), state)
  }

  // State changes run one after another, after the first load.
  let chain: Promise<void> = load().catch((err) =>
    deps.log.error('alert rules could not be loaded', { error: (err as Error).message }),
  )
  const enqueue = (work: () => Promise<void>) => {
    chain = chain
      .then(work)
      .catch((err) => deps.log.error('alert evaluation failed', { error: (err as Error).message }))
  }
  const reload = () => enqueue(load)
  const stops = [
    deps.events.subscribe(ALERTS_CHANGED, reload),
    deps.events.subscribe(SERVERS_CHANGED, reload),
  ]

  const applies = (rule: Rule, serverId: number) => {
    if (rule.serverId !== null) return rule.serverId === serverId
    if (rule.tag !== null) return servers.get(serverId)?.tags.includes(rule.tag) ?? false
    return servers.has(serverId)
  }

  function message(
    rule: Rule,
    serverId: number,
    state: 'firing' | 'resolved',
    value: number,
    at: number,
  ): AlertMessage {
    const metric = ALERT_METRICS[rule.metric as AlertMetricName] ?? { label: rule.metric, unit: '' as const }
    const server = maskPrivate(servers.get(serverId)?.name ?? `server ${serverId}`)
    const name = maskPrivate(rule.name)
    const condition = `${metric.label} ${rule.op} ${formatValue(rule.threshold, metric.unit)}`
    const when = new Date(at).toISOString().slice(0, 16).replace('T', ' ')
    const title =
      state === 'firing' ? `[FIRING] ${name}: ${condition} on ${server}` : `[RESOLVED] ${name} on ${server}`
    const text =
      state === 'firing'
        ? `${metric.label} is ${formatValue(value, metric.unit)} on ${server} (rule: ${condition}${rule.forSeconds ? ` for ${rule.forSeconds} s` : ''}), since ${when} UTC.`
        : `${metric.label} is back to ${formatValue(value, metric.unit)} on ${server} (rule: ${condition}), at ${when} UTC.`
    return {
      state,
      title: maskPrivate(title),
      text: maskPrivate(text),
      fields: {
        rule_id: rule.id,
        rule_name: name,
        server_id: serverId,
        server,
        metric: rule.metric,
        op: rule.op,
        threshold: rule.threshold,
        value,
        at: new Date(at).toISOString(),
      },
    }
  }

  async function announce(
    rule: Rule,
    serverId: number,
    state: 'firing' | 'resolved',
    value: number,
    at: number,
  ) {
    const text = message(rule, serverId, state, value, at)
    const event = await recordEvent(deps.database, {
      at: new Date(at),
      ruleId: rule.id,
      ruleName: rule.name,
      serverId,
      serverName: servers.get(serverId)?.name ?? String(serverId),
      state,
      metric: rule.metric,
      value,
      threshold: rule.threshold,
      message: `${text.title}\n${text.text}`,
      channelId: rule.channelId,
    })
    deps.events.publish('alerts:event', { id: event.id, state })
    const sending = (async () => {
      const channel = await findChannel(deps.database, rule.channelId)
      if (!channel?.enabled) {
        await setDelivery(deps.database, event.id, 'failed', 'the channel is missing or turned off')
        return
      }
      let lastError = 'delivery failed'
      for (const wait of RETRY_MS) {
        if (wait) await nap(wait)
        if (closed && wait) break
        try {
          await deliver(deps, asChannelRow(channel), text)
          await setDelivery(deps.database, event.id, 'sent', null)
          return
        } catch (err) {
          lastError = err instanceof DeliveryError ? err.message : 'delivery failed'
        }
      }
      deps.log.warn('alert delivery failed', { channel: channel.name, error: lastError })
      await setDelivery(deps.database, event.id, 'failed', lastError)
    })().catch((err) => deps.log.error('alert delivery crashed', { error: (err as Error).message }))
    deliveries.add(sending)
    void sending.finally(() => deliveries.delete(sending))
  }

  /** Moves one rule on one server along pending → firing → resolved for a value at a time. */
  async function step(rule: Rule, serverId: number, value: number, at: number) {
    const k = key(rule.id, serverId)
    const state = states.get(k)
    const breached = compare(value, rule.op as Op, rule.threshold)
    if (!state) {
      if (!breached) return
      const firing = rule.forSeconds <= 0
      const fresh: AlertState = {
        ruleId: rule.id,
        serverId,
        state: firing ? 'firing' : 'pending',
        since: new Date(at),
        value,
      }
      if (await claimState(deps.database, fresh)) {
        states.set(k, fresh)
        if (firing) await announce(rule, serverId, 'firing', value, at)
      } else {
        const other = await findState(deps.database, rule.id, serverId)
        if (other) states.set(k, other)
      }
      return
    }
    if (state.state === 'pending') {
      if (!breached) {
        states.delete(k)
        await dropState(deps.database, rule.id, serverId, 'pending')
      } else if (at - state.since.getTime() >= rule.forSeconds * 1000) {
        const firing: AlertState = { ...state, state: 'firing', since: new Date(at), value }
        states.set(k, firing)
        if (await promoteState(deps.database, rule.id, serverId, firing.since)) {
          await announce(rule, serverId, 'firing', value, at)
        }
      }
      return
    }
    if (cleared(value, rule.op as Op, rule.threshold, rule.hysteresis)) {
      states.delete(k)
      if (await dropState(deps.database, rule.id, serverId, 'firing'))
        await announce(rule, serverId, 'resolved', value, at)
    }
  }

  /** Only values that could change a state are queued; the rest is a comparison in memory. */
  const queued = new Map<string, number>()
  function consider(rule: Rule, serverId: number, value: number, at: number) {
    const k = key(rule.id, serverId)
    // A step still queued for this pair may create a state: later values must follow it in order.
    if (!states.has(k) && !queued.has(k) && !compare(value, rule.op as Op, rule.threshold)) return
    queued.set(k, (queued.get(k) ?? 0) + 1)
    enqueue(async () => {
      try {
        await step(rule, serverId, value, at)
      } finally {
        const left = (queued.get(k) ?? 1) - 1
        if (left > 0) queued.set(k, left)
        else queued.delete(k)
      }
    })
  }

  return {
    onSample(serverId, sample, at) {
      if (closed) return
      for (const rule of rules) {
        if (!applies(rule, serverId)) continue
        if (rule.metric === 'offline') {
          // A sample means the server is back: zero missed intervals.
          consider(rule, serverId, 0, at)
          continue
        }
        const metric = ALERT_METRICS[rule.metric as AlertMetricName]
        if (metric) consider(rule, serverId, metric.read(sample), at)
      }
    },
    checkOffline(latest, now) {
      if (closed) return
      for (const rule of rules) {
        if (rule.metric !== 'offline') continue
        for (const row of latest) {
          if (!applies(rule, row.serverId)) continue
          const missed = Math.floor((now - row.at) / (Math.max(1, row.intervalSeconds) * 1000))
          consider(rule, row.serverId, missed, now)
        }
      }
    },
    async idle() {
      let before: Promise<void>
      do {
        before = chain
        await chain
        await Promise.all([...deliveries])
      } while (before !== chain || deliveries.size > 0)
    },
    firing() {
      let n = 0
      for (const state of states.values()) if (state.state === 'firing') n++
      return n
    },
    async close() {
      closed = true
      for (const stop of stops) stop()
      for (const wake of [...sleepers]) wake()
      await chain
      await Promise.all([...deliveries])
    },
  }
}
