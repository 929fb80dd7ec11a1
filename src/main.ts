#!/usr/bin/env bun
/**
 * The `unipanel` command: serve, migrate, user, token, agent, doctor.
 * Exit codes: 0 success, 1 operation failed, 2 bad usage. Errors are one line on
 * stderr; `--debug` adds the stack.
 */
import pkg from '../package.json' with { type: 'json' }
import { firstIssue, OperationError, parseFlags, readPasswordFromStdin, UsageError } from './cli/args.ts'
import type { Deps } from './deps.ts'

// Each command loads what it needs when it runs: the agent, on every managed host, must
// not pay for the panel's modules (its budget is 35 MB).

export const VERSION = pkg.version

const HELP = `unipanel ${VERSION}: a hosting control panel for one server or a fleet

Usage: unipanel <command> [options]

Commands:
  serve [--host H] [--port P]      run the panel (web UI, API, jobs, metrics)
  migrate                          apply database migrations and exit
  user create --username U --role admin|reseller|user [--email E] [--password-stdin]
  user passwd U [--password-stdin] set a new password
  user reset-2fa U                 turn off two-factor authentication
  user disable U                   stop an account from signing in
  token create --username U [--name N] [--scope read|write]
  agent --panel URL --token T [--interval S]
                                   push this host's metrics to a panel
  doctor                           check the host tools the panel drives

Options: --help, --version, --debug (stack traces on errors)
Configuration comes from UNIPANEL_* variables; see the README.`

const COMMAND_HELP: Record<string, string> = {
  serve:
    'Usage: unipanel serve [--host H] [--port P]\nRuns the panel. HOST and PORT (default 127.0.0.1:8080) apply when no flag is given.',
  migrate: 'Usage: unipanel migrate\nApplies the database migrations and exits (serve applies them too).',
  user: 'Usage:\n  unipanel user create --username U --role admin|reseller|user [--email E] [--password-stdin]\n  unipanel user passwd U [--password-stdin]\n  unipanel user reset-2fa U\n  unipanel user disable U\nWithout --password-stdin a password is generated and printed once.',
  token:
    'Usage: unipanel token create --username U [--name N] [--scope read|write]\nPrints a new API token once (scope defaults to write).',
  agent:
    'Usage: unipanel agent --panel URL (--token T | --token-file F) [--interval S]\nPushes this host’s metrics to the panel every S seconds (default 5). The token may also come from UNIPANEL_AGENT_TOKEN; a file or the environment keep it out of the process list.',
  doctor:
    'Usage: unipanel doctor\nChecks ansible-playbook, nginx, php-fpm, ssh and the database and DNS tools.',
}

const out = (text: string) => process.stdout.write(`${text}\n`)
/** Prints a line and gives the exit code to return. */
const say = (text: string, code: number) => {
  out(text)
  return code
}

async function withDeps<T>(fn: (deps: Deps) => Promise<T>): Promise<T> {
  const [{ loadConfig }, { openDeps, closeDeps }, { createLog }] = await Promise.all([
    import('./config.ts'),
    import('./boot.ts'),
    import('./lib/log.ts'),
  ])
  const config = loadConfig(process.env)
  const deps = await openDeps(config, createLog({ quiet: true }))
  try {
    return await fn(deps)
  } finally {
    await closeDeps(deps)
  }
}

async function commandServe(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('serve', argv, {
    host: { type: 'string' },
    port: { type: 'string' },
    debug: { type: 'boolean' },
  })
  if (values.help) return say(COMMAND_HELP.serve!, 0)
  if (positionals.length) throw new UsageError(`serve: unexpected argument ${positionals[0]}`)
  const [{ loadConfig }, { openDeps, closeDeps, serve }, { createLog }, { startMetrics }] = await Promise.all(
    [
      import('./config.ts'),
      import('./boot.ts'),
      import('./lib/log.ts'),
      import('./areas/metrics/service.ts'),
    ],
  )
  const config = loadConfig(process.env, { host: values.host, port: values.port, debug: values.debug })
  // Listen for signals before the socket opens: a SIGTERM while serve() still sets up must stop cleanly too.
  const stopRequested = new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve())
    process.once('SIGTERM', () => resolve())
  })
  const log = createLog()
  const deps = await openDeps(config, log)
  const server = await serve(deps).catch(async (err) => {
    await closeDeps(deps)
    throw err
  })
  startMetrics(deps)
  await stopRequested
  log.info('stopping')
  await server.stop()
  await closeDeps(deps)
  return 0
}

async function commandMigrate(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('migrate', argv, {})
  if (values.help) return say(COMMAND_HELP.migrate!, 0)
  if (positionals.length) throw new UsageError(`migrate: unexpected argument ${positionals[0]}`)
  await withDeps(async (deps) => {
    out(`migrations applied (${deps.database.dialect})`)
  })
  return 0
}

async function commandUser(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  if (!sub || sub === '--help' || sub === '-h') return say(COMMAND_HELP.user!, sub ? 0 : 2)
  const [{ z }, { CLI_ACTOR, recordAudit }, users, { deleteUserSessions }, { randomToken }, grammar] =
    await Promise.all([
      import('zod'),
      import('./areas/audit/record.ts'),
      import('./areas/users/repository.ts'),
      import('./auth/sessions.ts'),
      import('./lib/crypto.ts'),
      import('./lib/grammar.ts'),
    ])
  const { createUser, findUserByUsername, publicUser, ROLES, resetTotp, setPassword, setStatus } = users
  const { email: emailGrammar, password: passwordGrammar, username: usernameGrammar } = grammar
  if (sub === 'create') {
    const { values, positionals } = parseFlags('user create', rest, {
      username: { type: 'string' },
      role: { type: 'string' },
      email: { type: 'string' },
      'password-stdin': { type: 'boolean' },
    })
    if (values.help) return say(COMMAND_HELP.user!, 0)
    if (positionals.length) throw new UsageError(`user create: unexpected argument ${positionals[0]}`)
    if (!values.username || !values.role)
      throw new UsageError('user create: --username and --role are required')
    const username = usernameGrammar.safeParse(values.username)
    if (!username.success) throw new UsageError(firstIssue('--username', username.error))
    const role = z.enum(ROLES).safeParse(values.role)
    if (!role.success) throw new UsageError('--role must be admin, reseller or user')
    const email = values.email === undefined ? null : emailGrammar.safeParse(values.email)
    if (email && !email.success) throw new UsageError(firstIssue('--email', email.error))
    const generated = !values['password-stdin']
    const password = generated ? randomToken(15) : await readPasswordFromStdin()
    const checked = passwordGrammar.safeParse(password)
    if (!checked.success) throw new UsageError(firstIssue('password', checked.error))
    await withDeps(async ({ database }) => {
      if (await findUserByUsername(database, username.data))
        throw new OperationError(`user ${username.data} already exists`)
      const user = await createUser(database, {
        username: username.data,
        role: role.data,
        email: email?.data ?? null,
        password,
      })
      await recordAudit(database, CLI_ACTOR, {
        action: 'user.create',
        objectType: 'user',
        objectId: user.id,
        after: publicUser(user),
      })
      out(`created ${user.role} ${user.username} (id ${user.id})`)
      if (generated) out(`password: ${password}`)
    })
    return 0
  }
  if (sub === 'passwd' || sub === 'reset-2fa' || sub === 'disable') {
    const { values, positionals } = parseFlags(
      `user ${sub}`,
      rest,
      sub === 'passwd' ? { 'password-stdin': { type: 'boolean' } } : {},
    )
    if (values.help) return say(COMMAND_HELP.user!, 0)
    if (positionals.length !== 1) throw new UsageError(`user ${sub}: give exactly one username`)
    const name = positionals[0]!
    const fromStdin = sub === 'passwd' && values['password-stdin'] === true
    const password = sub === 'passwd' ? (fromStdin ? await readPasswordFromStdin() : randomToken(15)) : ''
    if (sub === 'passwd') {
      const checked = passwordGrammar.safeParse(password)
      if (!checked.success) throw new UsageError(firstIssue('password', checked.error))
    }
    await withDeps(async ({ database }) => {
      const user = await findUserByUsername(database, name)
      if (!user) throw new OperationError(`no user named ${name}`)
      if (sub === 'passwd') await setPassword(database, user.id, password)
      if (sub === 'reset-2fa') await resetTotp(database, user.id)
      if (sub === 'disable') await setStatus(database, user.id, 'disabled')
      await deleteUserSessions(database, user.id)
      await recordAudit(database, CLI_ACTOR, { action: `user.${sub}`, objectType: 'user', objectId: user.id })
      if (sub === 'passwd')
        out(fromStdin ? `password of ${name} changed` : `new password of ${name}: ${password}`)
      if (sub === 'reset-2fa') out(`two-factor authentication of ${name} is off; its sessions ended`)
      if (sub === 'disable') out(`${name} is disabled; its sessions ended`)
    })
    return 0
  }
  throw new UsageError(`user: unknown subcommand ${sub}; use create, passwd, reset-2fa or disable`)
}

async function commandToken(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  if (!sub || sub === '--help' || sub === '-h') return say(COMMAND_HELP.token!, sub ? 0 : 2)
  if (sub !== 'create') throw new UsageError(`token: unknown subcommand ${sub}; use create`)
  const [
    { z },
    { line },
    { createApiToken },
    { CLI_ACTOR, recordAudit },
    { findUserByUsername },
    { needsTotpEnrolment },
  ] = await Promise.all([
    import('zod'),
    import('./lib/grammar.ts'),
    import('./auth/api-tokens.ts'),
    import('./areas/audit/record.ts'),
    import('./areas/users/repository.ts'),
    import('./auth/policy.ts'),
  ])
  const { values, positionals } = parseFlags('token create', rest, {
    username: { type: 'string' },
    name: { type: 'string' },
    scope: { type: 'string' },
  })
  if (values.help) return say(COMMAND_HELP.token!, 0)
  if (positionals.length) throw new UsageError(`token create: unexpected argument ${positionals[0]}`)
  if (!values.username) throw new UsageError('token create: --username is required')
  const scope = z.enum(['read', 'write']).safeParse(values.scope ?? 'write')
  if (!scope.success) throw new UsageError('--scope must be read or write')
  const name = line(100)
    .min(1)
    .safeParse(values.name ?? 'cli')
  if (!name.success) throw new UsageError(firstIssue('--name', name.error))
  await withDeps(async ({ database }) => {
    const user = await findUserByUsername(database, values.username!)
    if (!user) throw new OperationError(`no user named ${values.username}`)
    if (user.status !== 'active') throw new OperationError(`${user.username} is disabled`)
    if (await needsTotpEnrolment(database, user))
      throw new OperationError(
        `${user.username}'s role requires two-factor authentication; it must turn it on before it gets API tokens`,
      )
    const { token, row } = await createApiToken(database, {
      userId: user.id,
      name: name.data,
      scope: scope.data,
    })
    await recordAudit(database, CLI_ACTOR, {
      action: 'token.create',
      objectType: 'api_token',
      objectId: row.id,
      after: { name: row.name, scope: row.scope, user: user.username },
    })
    out(token)
  })
  return 0
}

async function commandDoctor(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('doctor', argv, {})
  if (values.help) return say(COMMAND_HELP.doctor!, 0)
  if (positionals.length) throw new UsageError(`doctor: unexpected argument ${positionals[0]}`)
  const { doctor } = await import('./cli/doctor.ts')
  return doctor()
}

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  serve: commandServe,
  migrate: commandMigrate,
  user: commandUser,
  token: commandToken,
  doctor: commandDoctor,
  agent: async (argv) => (await import('./cli/agent.ts')).commandAgent(argv),
}

export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug')
  const args = argv.filter((a) => a !== '--debug' || argv[0] === 'serve')
  const [command, ...rest] = args
  try {
    if (!command) {
      process.stderr.write(`${HELP}\n`)
      return 2
    }
    if (command === '--version' || command === '-v' || command === 'version')
      return say(`unipanel ${VERSION}`, 0)
    if (command === '--help' || command === '-h' || command === 'help') return say(HELP, 0)
    const handler = COMMANDS[command]
    if (!handler) throw new UsageError(`unknown command ${command}; run unipanel --help`)
    if (rest[0] === '--help' && command !== 'user' && command !== 'token')
      return say(COMMAND_HELP[command] ?? HELP, 0)
    return await handler(rest)
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`unipanel: ${err.message}\n`)
      return 2
    }
    if (err instanceof OperationError) {
      process.stderr.write(`unipanel: ${err.message}\n`)
      return 1
    }
    const [{ ConfigError }, { StartError }] = await Promise.all([import('./config.ts'), import('./boot.ts')])
    if (err instanceof ConfigError || err instanceof StartError) {
      process.stderr.write(`unipanel: ${err.message}\n`)
      return 1
    }
    process.stderr.write(`unipanel: ${(err as Error).message?.split('\n')[0] ?? String(err)}\n`)
    if (debug) process.stderr.write(`${(err as Error).stack ?? ''}\n`)
    return 1
  }
}

if (import.meta.main) {
  process.exit(await main(process.argv.slice(2)))
}
