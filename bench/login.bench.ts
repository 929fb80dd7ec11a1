/**
 * The login page's requests per second beside Debian's cockpit-ws login page, in the
 * same run on the same machine. Target (issue 3): at least 10× cockpit-ws.
 *
 * Both servers run as their own processes on loopback (`unipanel serve` on a fresh
 * SQLite data dir; `cockpit-ws --no-tls`), and the same load generator (bench/load.ts,
 * 32 concurrent keep-alive fetch loops, 3 s after a 1 s warm-up) is pointed at
 * GET /login and at cockpit-ws's GET / (its login page), three rounds, alternating.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, repoRoot, waitForStatus } from '../tests/process.ts'
import { median, report } from './report.ts'

const ROUNDS = 3
const COCKPIT = ['/usr/lib/cockpit/cockpit-ws', '/usr/libexec/cockpit-ws'].find((p) => existsSync(p))
if (!COCKPIT) {
  process.stderr.write('login.bench: cockpit-ws is not installed (apt-get install cockpit-ws)\n')
  process.exit(1)
}

const dataDir = mkdtempSync(join(tmpdir(), 'unipanel-bench-login-'))
const children: ReturnType<typeof Bun.spawn>[] = []

function start(argv: string[], env: Record<string, string>, cwd = dataDir) {
  const child = Bun.spawn(argv, { cwd, env, stdout: 'ignore', stderr: 'ignore' })
  children.push(child)
  return child
}

async function load(url: string): Promise<number> {
  const child = Bun.spawn([process.execPath, join(import.meta.dir, 'load.ts'), url, '3', '32', '1'], {
    stdout: 'pipe',
    stderr: 'inherit',
  })
  const out = await new Response(child.stdout).text()
  if ((await child.exited) !== 0) throw new Error(`load generator failed against ${url}`)
  const result = JSON.parse(out) as { rps: number; bad: number }
  if (result.bad > 0) throw new Error(`${url} answered ${result.bad} non-200 responses`)
  return result.rps
}

try {
  const panelPort = freePort()
  start(
    [process.execPath, join(repoRoot, 'src/main.ts'), 'serve', '--port', String(panelPort)],
    {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      UNIPANEL_DATA_DIR: dataDir,
    },
    repoRoot,
  )
  const cockpitPort = freePort()
  start([COCKPIT, '--no-tls', '--port', String(cockpitPort), '--address', '127.0.0.1'], {
    PATH: '/usr/bin:/bin',
    XDG_RUNTIME_DIR: dataDir,
  })
  const panelUrl = `http://127.0.0.1:${panelPort}/login`
  const cockpitUrl = `http://127.0.0.1:${cockpitPort}/`
  await waitForStatus(panelUrl, 200)
  await waitForStatus(cockpitUrl, 200)

  const panel: number[] = []
  const cockpit: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    panel.push(await load(panelUrl))
    cockpit.push(await load(cockpitUrl))
  }
  const ours = median(panel)
  const theirs = median(cockpit)
  process.stdout.write(
    `login page: unipanel ${ours} req/s (${panel.join(', ')}), cockpit-ws ${theirs} req/s (${cockpit.join(', ')})\n`,
  )
  report('login page req/s vs cockpit-ws', Math.round((ours / theirs) * 10) / 10, '×', { atLeast: 10 })
} finally {
  for (const child of children) child.kill('SIGTERM')
  await Promise.all(children.map((c) => c.exited))
  rmSync(dataDir, { recursive: true, force: true })
}
