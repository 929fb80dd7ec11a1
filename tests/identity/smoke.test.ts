import { afterAll, beforeAll, expect, test } from 'bun:test'
import { type TestPanel, testPanel } from '../helpers.ts'

let panel: TestPanel
beforeAll(async () => {
  panel = await testPanel()
})
afterAll(() => panel.dispose())

test('every identity page renders for an admin', async () => {
  const admin = await panel.signIn('admin')
  for (const path of [
    '/users',
    '/users/new',
    '/users/policy',
    '/packages',
    '/packages/new',
    '/account',
    '/account/security',
    '/audit',
    '/audit/logins',
  ]) {
    const res = await admin.get(path)
    const text = await res.text()
    if (res.status !== 200) console.log(path, text.slice(0, 2000))
    expect(res.status).toBe(200)
  }
})
