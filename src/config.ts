/**
 * Configuration: environment variables and command-line flags, parsed by one zod
 * schema into a typed object. A bad value stops the program with one line that
 * names the variable (ConfigError), never a stack trace.
 *
 * @example
 *   const config = loadConfig(process.env, { port: '9000' })
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { z } from 'zod'
import { randomToken } from './lib/crypto.ts'

export class ConfigError extends Error {}

export type DatabaseTarget = { dialect: 'sqlite'; path: string } | { dialect: 'pg'; url: string }

export type Config = {
  env: 'development' | 'production'
  dataDir: string
  database: DatabaseTarget
  secret: string
  host: string
  port: number
  publicUrl: string
  ansiblePlaybook: string
  outboundAllow: string[]
  acmeDirectory: string
  acmeCaBundle: string | null
  pdns: { url: string | null; apiKey: string | null; serverId: string }
  trustedProxies: string[]
  jobConcurrency: number
  /** Hosts Ansible works on in parallel within one play (fleet-wide changes). */
  ansibleForks: number
  debug: boolean
}

export type Flags = { host?: string; port?: string; debug?: boolean }

const LETS_ENCRYPT = 'https://acme-v02.api.letsencrypt.org/directory'

const port = (name: string) =>
  z
    .string()
    .regex(/^\d{1,5}$/, `${name} must be a number from 1 to 65535`)
    .transform(Number)
    .refine((n) => n >= 1 && n <= 65535, `${name} must be a number from 1 to 65535`)

const httpUrl = (name: string) =>
  z.string().refine((v) => {
    try {
      const u = new URL(v)
      return (u.protocol === 'http:' || u.protocol === 'https:') && !u.username && !u.password
    } catch {
      return false
    }
  }, `${name} must be an http:// or https:// URL without user information`)

const cidrList = (name: string) =>
  z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .refine(
      (list) => list.every((c) => /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(c)),
      `${name} must be a comma-separated list of CIDRs such as 10.0.0.0/8,::1/128`,
    )

/** Parses one variable, turning a zod failure into a ConfigError naming it. */
function parse<T>(name: string, schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value)
  if (!result.success) {
    throw new ConfigError(`${name}: ${result.error.issues[0]?.message ?? 'invalid value'}`)
  }
  return result.data
}

function prepareDataDir(dir: string): void {
  try {
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 })
    if (!statSync(dir).isDirectory()) throw new ConfigError(`UNIPANEL_DATA_DIR: ${dir} is not a directory`)
    const probe = join(dir, '.write-test')
    writeFileSync(probe, '')
    unlinkSync(probe)
  } catch (err) {
    if (err instanceof ConfigError) throw err
    const code = (err as NodeJS.ErrnoException).code ?? 'error'
    throw new ConfigError(
      `UNIPANEL_DATA_DIR: ${dir} is not usable (${code}); choose a directory this user can write`,
    )
  }
}

/** The secret: from the environment, else (development only) generated once into the data dir. */
function loadSecret(env: Record<string, string | undefined>, mode: Config['env'], dataDir: string): string {
  const given = env.UNIPANEL_SECRET
  if (given !== undefined) {
    if (given.length < 32) throw new ConfigError('UNIPANEL_SECRET: must be at least 32 characters long')
    return given
  }
  if (mode === 'production') {
    throw new ConfigError(
      'UNIPANEL_SECRET: required when UNIPANEL_ENV=production (use 32+ random characters)',
    )
  }
  const file = join(dataDir, 'secret')
  if (existsSync(file)) return readFileSync(file, 'utf8').trim()
  const secret = randomToken(32)
  writeFileSync(file, `${secret}\n`, { mode: 0o600 })
  chmodSync(file, 0o600)
  return secret
}

function parseDatabaseUrl(value: string | undefined, dataDir: string): DatabaseTarget {
  if (!value) return { dialect: 'sqlite', path: join(dataDir, 'unipanel.db') }
  if (value.startsWith('sqlite:')) {
    const path = value.slice('sqlite:'.length).replace(/^\/\//, '')
    if (!path)
      throw new ConfigError(
        'UNIPANEL_DATABASE_URL: sqlite: needs a file path, e.g. sqlite:/var/lib/unipanel/unipanel.db',
      )
    return { dialect: 'sqlite', path: path === ':memory:' ? path : resolve(path) }
  }
  if (value.startsWith('postgres://') || value.startsWith('postgresql://')) {
    try {
      new URL(value)
    } catch {
      throw new ConfigError('UNIPANEL_DATABASE_URL: is not a valid postgres:// URL')
    }
    return { dialect: 'pg', url: value }
  }
  throw new ConfigError('UNIPANEL_DATABASE_URL: unknown scheme; use sqlite:<path> or postgres://…')
}

/** Reads the configuration; flags win over the environment. Creates the data dir (0700). */
export function loadConfig(env: Record<string, string | undefined> = process.env, flags: Flags = {}): Config {
  const mode = parse(
    'UNIPANEL_ENV',
    z.enum(['development', 'production'], { message: 'must be development or production' }),
    env.UNIPANEL_ENV ?? 'development',
  )
  const dataDir = resolve(env.UNIPANEL_DATA_DIR || './data')
  const host = flags.host ?? env.HOST ?? '127.0.0.1'
  if (!/^[A-Za-z0-9.:[\]-]{1,253}$/.test(host))
    throw new ConfigError(`${flags.host ? '--host' : 'HOST'}: not a host name or address`)
  const portValue = parse(
    flags.port !== undefined ? '--port' : 'PORT',
    port(flags.port !== undefined ? '--port' : 'PORT'),
    flags.port ?? env.PORT ?? '8080',
  )
  const publicUrl = parse(
    'UNIPANEL_PUBLIC_URL',
    httpUrl('UNIPANEL_PUBLIC_URL'),
    env.UNIPANEL_PUBLIC_URL ??
      `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${portValue}`,
  )
  const database = parseDatabaseUrl(env.UNIPANEL_DATABASE_URL, dataDir)
  const acmeDirectory = parse(
    'UNIPANEL_ACME_DIRECTORY',
    httpUrl('UNIPANEL_ACME_DIRECTORY'),
    env.UNIPANEL_ACME_DIRECTORY ?? LETS_ENCRYPT,
  )
  const acmeCaBundle = env.UNIPANEL_ACME_CA_BUNDLE || null
  if (acmeCaBundle && !existsSync(acmeCaBundle))
    throw new ConfigError(`UNIPANEL_ACME_CA_BUNDLE: ${acmeCaBundle} does not exist`)
  const pdnsUrl = env.UNIPANEL_PDNS_URL
    ? parse('UNIPANEL_PDNS_URL', httpUrl('UNIPANEL_PDNS_URL'), env.UNIPANEL_PDNS_URL)
    : null
  const jobConcurrency = parse(
    'UNIPANEL_JOB_CONCURRENCY',
    z
      .string()
      .regex(/^\d{1,3}$/, 'must be a number from 1 to 64')
      .transform(Number)
      .refine((n) => n >= 1 && n <= 64, 'must be a number from 1 to 64'),
    env.UNIPANEL_JOB_CONCURRENCY ?? '4',
  )

  const ansibleForks = parse(
    'UNIPANEL_ANSIBLE_FORKS',
    z
      .string()
      .regex(/^\d{1,3}$/, 'must be a number from 1 to 200')
      .transform(Number)
      .refine((n) => n >= 1 && n <= 200, 'must be a number from 1 to 200'),
    env.UNIPANEL_ANSIBLE_FORKS ?? '10',
  )

  prepareDataDir(dataDir)
  const secret = loadSecret(env, mode, dataDir)

  return {
    env: mode,
    dataDir,
    database,
    secret,
    host,
    port: portValue,
    publicUrl: new URL(publicUrl).origin,
    ansiblePlaybook: env.UNIPANEL_ANSIBLE_PLAYBOOK || 'ansible-playbook',
    outboundAllow: parse(
      'UNIPANEL_OUTBOUND_ALLOW',
      cidrList('UNIPANEL_OUTBOUND_ALLOW'),
      env.UNIPANEL_OUTBOUND_ALLOW ?? '',
    ),
    acmeDirectory,
    acmeCaBundle,
    pdns: {
      url: pdnsUrl,
      apiKey: env.UNIPANEL_PDNS_API_KEY || null,
      serverId: env.UNIPANEL_PDNS_SERVER_ID || 'localhost',
    },
    trustedProxies: parse(
      'UNIPANEL_TRUSTED_PROXIES',
      cidrList('UNIPANEL_TRUSTED_PROXIES'),
      env.UNIPANEL_TRUSTED_PROXIES ?? '',
    ),
    jobConcurrency,
    ansibleForks,
    debug: flags.debug ?? false,
  }
}
