import { afterAll, beforeAll, expect, test } from 'bun:test'
import { PUBLIC_URL, type TestPanel, testPanel } from '../helpers.ts'

let panel: TestPanel
beforeAll(async () => {
  panel = await testPanel()
})
afterAll(() => panel.dispose())

type Document = {
  paths: Record<string, Record<string, { requestBody?: unknown; parameters?: { name: string }[] }>>
}

const openapiPath = (honoPath: string) =>
  honoPath
    .replace(/^\/api\/v1/, '')
    .split('/')
    .map((s) => (s.startsWith(':') ? `{${/^:(\w+)/.exec(s)![1]}}` : s))
    .join('/')

test('every identity operation of the API is in the OpenAPI document, with its schemas', async () => {
  const doc = (await (await panel.app.request(`${PUBLIC_URL}/api/v1/openapi.json`)).json()) as Document
  const missing: string[] = []
  for (const route of panel.app.routes) {
    if (
      route.method === 'ALL' ||
      !/^\/api\/v1\/(users|packages|account|audit|login-attempts)/.test(route.path)
    )
      continue
    const path = openapiPath(route.path)
    if (!doc.paths[path]?.[route.method.toLowerCase()]) missing.push(`${route.method} ${path}`)
  }
  expect(missing).toEqual([])
  const create = doc.paths['/users']!.post!
  const schema = (create.requestBody as { content: Record<string, { schema: Record<string, unknown> }> })
    .content['application/json']!.schema
  expect(schema.additionalProperties).toBe(false)
  expect(Object.keys(schema.properties as object).sort()).toEqual([
    'email',
    'package_id',
    'password',
    'role',
    'username',
  ])
  expect(doc.paths['/users/{id}']!.patch!.parameters!.map((p) => p.name)).toEqual(['id'])
  expect(doc.paths['/audit']!.get!.parameters!.map((p) => p.name)).toContain('object_type')
})
