/**
 * /api/v1: the JSON API. Each area adds its resources here; every route shares the
 * bearer-token layer of createApp and the error shape of CONTRACT.md.
 */
import { Hono } from 'hono'
import { accountApi } from '../areas/account/api.ts'
import { alertsApi } from '../areas/alerts/api.ts'
import { auditApi } from '../areas/audit/api.ts'
import { jobsApi } from '../areas/jobs/api.ts'
import { serverJobsApi } from '../areas/jobs/server-api.ts'
import { agentApi } from '../areas/metrics/agent-api.ts'
import { packagesApi } from '../areas/packages/api.ts'
import { serversApi } from '../areas/servers/api.ts'
import { usersApi } from '../areas/users/api.ts'
import type { AppEnv } from '../lib/env.ts'
import { handleNotFound } from '../lib/http-errors.tsx'
import { openapiDocument } from './openapi.ts'

export const api = new Hono<AppEnv>()

api.get('/openapi.json', (c) => c.json(openapiDocument()))

api.route('/account', accountApi)
api.route('/users', usersApi)
api.route('/packages', packagesApi)
api.route('/', auditApi)
api.route('/servers', serversApi)
api.route('/agent', agentApi)
api.route('/alerts', alertsApi)
api.route('/jobs', jobsApi)
api.route('/servers', serverJobsApi)

api.all('*', (c) => handleNotFound(c, api.routes, '/api/v1'))
