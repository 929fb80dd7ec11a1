/**
 * The `unipanel` command as an operator runs it: `bun src/main.ts …` in a child
 * process with its own data dir (and its own PostgreSQL database on PostgreSQL
 * runs), checked by exit code, output and what ended up in the database.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import pkg from '../package.json' with { type: 'json' }
import { findUserByUsername } from '../src/areas/users/repository.ts'
import { findApiToken } from '../src/auth/api-tokens.ts'
import { TOOLS } from '../src/cli/doctor.ts'
import { type Database, openDatabase } from '../src/db/client.ts'
import { freshPgDatabase, testPgUrl } from './helpers.ts'
import { repoRoot } from './process.ts'

const tmp = mkdtempSync(join(tmpdir(), 'unipanel-cli-'))
const dataDir = join(tmp, 'data')
let pg: Awaited<ReturnType<typeof freshPgDatabase>> | null = null
let baseEnv: Record<string, string>

beforeAll(async () => {
  pg = testPgUrl ? await freshPgDatabase(testPgUrl) : null
  baseEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: tmp,
    UNIPANEL_DATA_DIR: dataDir,
    ...(pg ? { UNIPANEL_DATABASE_URL: pg.url } : {}),
  }
})

afterAll(async () => {
  await pg?.drop()
  rmSync(tmp, { recursive: true, force: true })
})

function cli(args: string[], options: { env?: Record<string, string>; stdin?: string } = {}) {
  const child = Bun.spawnSync([process.execPath, join(repoRoot, 'src/main.ts'), ...args], {
    // Outside the checkout, as the package `bin` runs: every .tsx names its JSX runtime itself,
    // since Bun reads JSX settings from the working directory's tsconfig.json (oven-sh/bun#28605).
    cwd: tmp,
    env: { ...baseEnv, ...options.env },
    stdin: options.stdin === undefined ? 'ignore' : Buffer.from(options.stdin),
    stdout: 'pipe',
    stderr: 'pipe',
  })
  return { code: child.exitCode, stdout: child.stdout.toString(), stderr: child.stderr.toString() }
}

/** An error as CONTRACT.md wants it: one line on stderr, no stack trace. */
function expectOneLine(stderr: string, ...parts: string[]) {
  const lines = stderr.trimEnd().split('\n')
  expect(lines).toHaveLength(1)
  expect(lines[0]).toStartWith('unipanel: ')
  for (const part of parts) expect(lines[0]).toContain(part)
}

async function withDatabase<T>(fn: (database: Database) => Promise<T>): Promise<T> {
  const database = await openDatabase(
    pg ? { dialect: 'pg', url: pg.url } : { dialect: 'sqlite', path: join(dataDir, 'unipanel.db') },
  )
  try {
    return await fn(database)
  } finally {
    await database.close()
  }
}

const user = (name: string) => withDatabase((database) => findUserByUsername(database, name))

describe('usage', () => {
  test('--version prints the package version', () => {
    const result = cli(['--version'])
    expect(result.code).toBe(0)
    expect(result.stdout).toBe(`unipanel ${pkg.version}\n`)
  })

  test('--help lists every command; CMD --help explains one', () => {
    const result = cli(['--help'])
    expect(result.code).toBe(0)
    for (const command of ['serve', 'migrate', 'user create', 'user passwd', 'token create', 'doctor'])
      expect(result.stdout).toContain(command)
    const serve = cli(['serve', '--help'])
    expect(serve.code).toBe(0)
    expect(serve.stdout).toContain('unipanel serve [--host H] [--port P]')
  })

  test('no command is bad usage (exit 2)', () => {
    const result = cli([])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('Usage: unipanel <command>')
  })

  test('an unknown command exits 2 with one line', () => {
    const result = cli(['frobnicate'])
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    expectOneLine(result.stderr, 'unknown command frobnicate')
  })

  test('an unknown flag exits 2 with one line naming it', () => {
    for (const args of [
      ['migrate', '--frob'],
      ['serve', '--prot', '9000'],
      ['user', 'create', '--username', 'x', '--role', 'admin', '--bogus'],
    ]) {
      const result = cli(args)
      expect(`${args.join(' ')} -> ${result.code}`).toBe(`${args.join(' ')} -> 2`)
      expectOneLine(result.stderr)
      expect(result.stderr).toMatch(/frob|prot|bogus/)
    }
  })

  test('bad values for user create are bad usage', () => {
    expect(cli(['user', 'create', '--username', 'carol', '--role', 'root']).code).toBe(2)
    expect(cli(['user', 'create', '--username', '-x', '--role', 'user']).code).toBe(2)
    expect(cli(['user', 'create', '--role', 'user']).code).toBe(2)
    expect(cli(['user', 'frob', 'carol']).code).toBe(2)
  })
})

describe('migrate', () => {
  test('applies the migrations and creates the data dir 0700', async () => {
    const result = cli(['migrate'])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toBe(`migrations applied (${pg ? 'pg' : 'sqlite'})\n`)
    expect((await Bun.file(dataDir).stat()).mode & 0o777).toBe(0o700)
  })
})

describe('users and tokens', () => {
  let alicePassword = ''

  test('user create prints a generated password that signs in', async () => {
    const result = cli(['user', 'create', '--username', 'alice', '--role', 'admin'])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^created admin alice \(id \d+\)\n/)
    alicePassword = /password: (\S+)/.exec(result.stdout)?.[1] ?? ''
    expect(alicePassword.length).toBeGreaterThanOrEqual(16)
    const alice = await user('alice')
    expect(alice?.role).toBe('admin')
    expect(alice?.status).toBe('active')
    expect(await Bun.password.verify(alicePassword, alice!.passwordHash)).toBe(true)
    const audit = await withDatabase((d) =>
      d.db.select().from(d.t.auditLog).where(eq(d.t.auditLog.action, 'user.create')),
    )
    expect(audit.map((a) => a.objectId)).toContain(String(alice!.id))
  })

  test('--password-stdin takes the password from standard input and does not echo it', async () => {
    const password = 'a long passphrase for bob'
    const result = cli(
      [
        'user',
        'create',
        '--username',
        'bob',
        '--role',
        'user',
        '--email',
        'bob@example.com',
        '--password-stdin',
      ],
      { stdin: `${password}\n` },
    )
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).not.toContain(password)
    const bob = await user('bob')
    expect(bob?.email).toBe('bob@example.com')
    expect(await Bun.password.verify(password, bob!.passwordHash)).toBe(true)
  })

  test('--password-stdin with nothing on stdin is bad usage', () => {
    const result = cli(['user', 'create', '--username', 'dora', '--role', 'user', '--password-stdin'], {
      stdin: '',
    })
    expect(result.code).toBe(2)
    expectOneLine(result.stderr, '--password-stdin')
  })

  test('creating an existing user fails with exit 1', () => {
    const result = cli(['user', 'create', '--username', 'alice', '--role', 'user'])
    expect(result.code).toBe(1)
    expectOneLine(result.stderr, 'alice already exists')
  })

  test('token create prints a token that the API accepts, with the asked scope', async () => {
    const result = cli(['token', 'create', '--username', 'alice', '--name', 'ci', '--scope', 'read'])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const token = result.stdout.trim()
    expect(token).toMatch(/^up_[A-Za-z0-9_-]{20,64}$/)
    const row = await withDatabase((d) => findApiToken(d, token))
    expect(row?.scope).toBe('read')
    expect(row?.name).toBe('ci')
    expect(row?.userId).toBe((await user('alice'))!.id)
  })

  test('token create for an unknown user fails with exit 1', () => {
    const result = cli(['token', 'create', '--username', 'nobody'])
    expect(result.code).toBe(1)
    expectOneLine(result.stderr, 'no user named nobody')
  })

  test('user passwd sets the password from stdin, or prints a generated one', async () => {
    const fromStdin = cli(['user', 'passwd', 'alice', '--password-stdin'], {
      stdin: 'another long passphrase',
    })
    expect(fromStdin.code).toBe(0)
    expect(await Bun.password.verify('another long passphrase', (await user('alice'))!.passwordHash)).toBe(
      true,
    )
    const generated = cli(['user', 'passwd', 'alice'])
    expect(generated.code).toBe(0)
    const password = /new password of alice: (\S+)/.exec(generated.stdout)?.[1] ?? ''
    const alice = await user('alice')
    expect(await Bun.password.verify(password, alice!.passwordHash)).toBe(true)
    expect(await Bun.password.verify(alicePassword, alice!.passwordHash)).toBe(false)
  })

  test('user passwd of an unknown user fails with exit 1', () => {
    const result = cli(['user', 'passwd', 'nobody'])
    expect(result.code).toBe(1)
    expectOneLine(result.stderr, 'no user named nobody')
  })

  test('user reset-2fa turns two-factor authentication off', async () => {
    const alice = (await user('alice'))!
    await withDatabase((d) =>
      d.db
        .update(d.t.users)
        .set({ totpEnabled: true, totpSecret: 'sealed' })
        .where(eq(d.t.users.id, alice.id)),
    )
    const result = cli(['user', 'reset-2fa', 'alice'])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('two-factor authentication of alice is off')
    const after = (await user('alice'))!
    expect(after.totpEnabled).toBe(false)
    expect(after.totpSecret).toBeNull()
  })

  test('user disable stops the account; a disabled user gets no token', async () => {
    const result = cli(['user', 'disable', 'bob'])
    expect(result.code).toBe(0)
    expect((await user('bob'))?.status).toBe('disabled')
    const token = cli(['token', 'create', '--username', 'bob'])
    expect(token.code).toBe(1)
    expectOneLine(token.stderr, 'bob is disabled')
  })
})

describe('doctor', () => {
  test('lists every tool it checks', () => {
    const result = cli(['doctor'])
    expect([0, 1]).toContain(result.code ?? -1)
    for (const tool of TOOLS) expect(result.stdout).toContain(tool.label)
  })

  test('names what is missing and the apt-get line that installs it', () => {
    // With an empty PATH only /usr/sbin and /sbin are searched: ansible-playbook and ssh are missing.
    const result = cli(['doctor'], { env: { PATH: join(tmp, 'empty-path') } })
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/missing\s+ansible-playbook/)
    expect(result.stdout).toMatch(/apt-get update && apt-get install -y .*ansible-core/)
    expect(result.stdout).toContain('openssh-client')
  })
})

describe('bad configuration stops the start with one line and exit 1', () => {
  test('a data dir below a regular file', () => {
    const file = join(tmp, 'a-file')
    writeFileSync(file, '')
    const result = cli(['migrate'], { env: { UNIPANEL_DATA_DIR: join(file, 'data') } })
    expect(result.code).toBe(1)
    expectOneLine(result.stderr, 'UNIPANEL_DATA_DIR')
  })

  test('production without UNIPANEL_SECRET', () => {
    const result = cli(['migrate'], { env: { UNIPANEL_ENV: 'production' } })
    expect(result.code).toBe(1)
    expectOneLine(result.stderr, 'UNIPANEL_SECRET')
  })

  test('a bad port, from the environment or the flag', () => {
    const env = cli(['serve'], { env: { PORT: '70000' } })
    expect(env.code).toBe(1)
    expectOneLine(env.stderr, 'PORT')
    const flag = cli(['serve', '--port', 'http'])
    expect(flag.code).toBe(1)
    expectOneLine(flag.stderr, '--port')
  })

  test('an unknown database scheme', () => {
    const result = cli(['migrate'], { env: { UNIPANEL_DATABASE_URL: 'mysql://root@127.0.0.1/unipanel' } })
    expect(result.code).toBe(1)
    expectOneLine(result.stderr, 'UNIPANEL_DATABASE_URL')
  })

  test('an unreachable PostgreSQL, without leaking its password', () => {
    const result = cli(['migrate'], {
      env: { UNIPANEL_DATABASE_URL: 'postgres://panel:hunter2@127.0.0.1:1/unipanel' },
    })
    expect(result.code).toBe(1)
    expectOneLine(result.stderr, 'cannot reach the database', '127.0.0.1:1')
    expect(result.stderr).not.toContain('hunter2')
  })

  test('a port already in use', () => {
    const taken = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
    try {
      const result = cli(['serve', '--port', String(taken.port)])
      expect(result.code).toBe(1)
      expectOneLine(result.stderr, `port ${taken.port}`, 'already in use')
    } finally {
      taken.stop(true)
    }
  })
})
