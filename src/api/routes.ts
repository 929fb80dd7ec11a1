/**
 * /api/v1: the JSON API. Each area adds its resources here; every route shares the
 * bearer-token layer of createApp and the error shape of CONTRACT.md.
 */
import { Hono } from 'hono'
import { publicUser } from '../areas/users/repository.ts'
import type { AppEnv } from '../lib/env.ts'
import { handleNotFound } from '../lib/http-errors.tsx'
import { openapiDocument } from './openapi.ts'

export const api = new Hono<AppEnv>()

api.get('/openapi.json', (c) => c.json(openapiDocument()))

api.get('/account', (c) => c.json(publicUser(c.var.user!)))

api.all('*', (c) => handleNotFound(c, api.routes, '/api/v1'))
