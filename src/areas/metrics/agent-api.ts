/**
 * POST /api/v1/agent/samples: where `unipanel agent` pushes. Authenticated by the
 * server's agent token (not a user's API token, so createApp lets this path past the
 * API-token layer): a wrong token is 401 and nothing is stored. The body is a batch, so
 * an agent that was cut off sends what it buffered in one go; samples it sends twice
 * are stored once.
 */
import { Hono } from 'hono'
import { z } from 'zod'
import { registerOperation } from '../../api/openapi.ts'
import { invalid } from '../../api/validate.ts'
import type { AppEnv } from '../../lib/env.ts'
import { AppError } from '../../lib/errors.ts'
import { verifyAgentToken } from './agent-tokens.ts'
import { ingestFor } from './ingest.ts'
import { samplesBody } from './sample-schema.ts'
import { loadMetricsSettings } from './settings.ts'

export const AGENT_SAMPLES_PATH = '/api/v1/agent/samples'

type AgentEnv = { Variables: AppEnv['Variables'] & { agentServerId: number } }

export const agentApi = new Hono<AgentEnv>()

/** Samples from further ahead than this are a wrong clock, refused so it gets fixed. */
const MAX_AHEAD_MS = 5 * 60_000

let settings: ReturnType<typeof loadMetricsSettings> | null = null

agentApi.post(
  '/samples',
  async (c, next) => {
    const match = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')
    const serverId = match ? await verifyAgentToken(c.var.deps, match[1]!) : null
    if (serverId === null) {
      throw new AppError(
        'unauthorized',
        'the agent token is unknown or was replaced; issue a new one on the server page',
        undefined,
        {
          'WWW-Authenticate': 'Bearer',
        },
      )
    }
    c.set('agentServerId', serverId)
    return next()
  },
  async (c) => {
    const serverId = c.var.agentServerId
    // Parsed by hand rather than through validJson: this runs 400 times a second for 2,000 agents.
    let body: unknown
    try {
      body = await c.req.json()
    } catch {
      throw new AppError('bad-request', 'the body is not JSON')
    }
    const parsed = samplesBody.safeParse(body)
    if (!parsed.success) throw invalid(parsed.error)
    const { samples } = parsed.data
    const now = Date.now()
    if (samples.some((s) => Date.parse(s.at) > now + MAX_AHEAD_MS)) {
      throw new AppError('invalid', 'a sample is dated in the future; check the clock of the server (NTP)', {
        samples: 'dated in the future',
      })
    }
    // Older than the 1-minute history could hold: nothing would keep them.
    settings ??= loadMetricsSettings()
    const oldest = now - settings.minuteRetentionMs
    const kept = samples.filter((s) => Date.parse(s.at) >= oldest)
    const accepted = kept.length ? ingestFor(c.var.deps).accept(serverId, kept) : 0
    return c.json({ accepted, dropped: samples.length - accepted }, 202)
  },
)

registerOperation({
  method: 'post',
  path: '/agent/samples',
  summary:
    'Push samples (the agent’s own endpoint; authenticated by the server’s agent token, not an API token)',
  tag: 'metrics',
  body: samplesBody,
  responses: {
    202: { description: 'stored', schema: z.object({ accepted: z.number(), dropped: z.number() }) },
    401: 'the agent token is wrong',
  },
})
