import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { ingestFor } from '../../src/areas/metrics/ingest.ts'
import { ensureLocalServer } from '../../src/areas/servers/repository.ts'
import { PUBLIC_URL, type TestPanel, testPanel } from '../helpers.ts'
import { makeSample } from './support.ts'

let panel: TestPanel
let localName: string

beforeAll(async () => {
  panel = await testPanel()
  const local = await ensureLocalServer(panel.deps.database)
  localName = local.name
  ingestFor(panel.deps).accept(local.id, [
    makeSample({
      cpu_percent: 12.5,
      mounts: [{ mount: '/srv/"odd"', fs_type: 'ext4', total_bytes: 1000, used_bytes: 250, percent: 25 }],
    }),
  ])
  await ingestFor(panel.deps).flush()
})
afterAll(() => panel.dispose())

const scrape = (token?: string) =>
  panel.app.request(`${PUBLIC_URL}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} })

describe('/metrics', () => {
  test('needs an API token; a read token of an admin is enough; others get 403', async () => {
    expect((await scrape()).status).toBe(401)
    expect((await scrape('up_not-a-real-token-at-all-123')).status).toBe(401)
    const userToken = await panel.token(await panel.createUser('user'), 'read')
    expect((await scrape(userToken)).status).toBe(403)
    const res = await scrape(await panel.token(await panel.createUser('admin'), 'read'))
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
  })

  test('exposes the process and the last sample of every server in the text format', async () => {
    const text = await (await scrape(await panel.token(await panel.createUser('admin'), 'read'))).text()
    expect(text).toContain('# TYPE unipanel_process_resident_memory_bytes gauge')
    expect(text).toMatch(/^unipanel_process_cpu_seconds_total \d+(\.\d+)?(e[-+]?\d+)?$/m)
    expect(text).toContain(`unipanel_server_up{server="${localName}"} 1`)
    expect(text).toContain(`unipanel_server_cpu_percent{server="${localName}"} 12.5`)
    expect(text).toContain(
      `unipanel_server_filesystem_used_bytes{server="${localName}",mount="/srv/\\"odd\\"",fstype="ext4"} 250`,
    )
    // Every family's samples follow its own HELP and TYPE lines, once.
    const seen = new Set<string>()
    let current = ''
    for (const line of text.trim().split('\n')) {
      const type = /^# TYPE (\S+) (gauge|counter)$/.exec(line)
      if (type) {
        expect(seen.has(type[1]!)).toBe(false)
        seen.add(type[1]!)
        current = type[1]!
        continue
      }
      if (line.startsWith('#')) continue
      expect(line.split(/[{ ]/)[0]).toBe(current)
      expect(line).toMatch(/^[a-z_:][a-z0-9_:]*(\{.*\})? -?[0-9.e+-]+$/)
    }
  })
})
