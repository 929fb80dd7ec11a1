/**
 * /static/*: the panel's own files, from the checkout or from the binary. A URL with
 * `?v=` (see assetUrl) is immutable for a year; without it, browsers revalidate.
 */
import { Hono } from 'hono'
import type { AppEnv } from './env.ts'
import { resourceFile } from './resources.ts'

export const staticFiles = new Hono<AppEnv>()

const TYPES: Record<string, string> = {
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  woff2: 'font/woff2',
  ico: 'image/x-icon',
  txt: 'text/plain; charset=utf-8',
}

staticFiles.get('/*', async (c) => {
  const rel = c.req.path.slice('/static/'.length)
  if (!/^[A-Za-z0-9._/-]+$/.test(rel) || rel.split('/').some((part) => part === '..' || part === '')) {
    return c.notFound()
  }
  const file = resourceFile(`static/${rel}`)
  if (!file) return c.notFound()
  const ext = rel.slice(rel.lastIndexOf('.') + 1)
  c.header('Content-Type', TYPES[ext] ?? 'application/octet-stream')
  c.header('Cache-Control', c.req.query('v') ? 'public, max-age=31536000, immutable' : 'no-cache')
  c.header('X-Content-Type-Options', 'nosniff')
  return c.body(await file.arrayBuffer())
})
