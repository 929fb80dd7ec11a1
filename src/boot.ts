/**
 * Turns a configuration into running parts: the database (migrated), the panel's
 * own server row, and the HTTP server. Used by `serve`, `migrate` and the tests.
 */

import { createApp } from './app.ts'
import { startJobRunner } from './areas/jobs/runner.ts'
import { ensureLocalServer } from './areas/servers/repository.ts'
import { countUsers } from './areas/users/repository.ts'
import { issueSetupToken } from './auth/setup.ts'
import type { Config } from './config.ts'
import { DatabaseError, openDatabase } from './db/client.ts'
import type { Deps } from './deps.ts'
import { createEventBus } from './lib/events.ts'
import type { Log } from './lib/log.ts'
import { resourceDir } from './lib/resources.ts'

export class StartError extends Error {}

/** Opens and migrates the database; a failure is one sentence naming the problem. */
export async function openDeps(config: Config, log: Log): Promise<Deps> {
  let database: Awaited<ReturnType<typeof openDatabase>>
  try {
    database = await openDatabase(config.database)
    await database.ping()
  } catch (err) {
    const where = config.database.dialect === 'sqlite' ? config.database.path : redactUrl(config.database.url)
    const reason = err instanceof DatabaseError ? err.message : (err as Error).message.split('\n')[0]
    throw new StartError(`cannot reach the database ${where}: ${reason}`)
  }
  try {
    await database.migrate(await resourceDir('drizzle', config.dataDir))
  } catch (err) {
    await database.close()
    throw new StartError(`database migration failed: ${(err as Error).message.split('\n')[0]}`)
  }
  await ensureLocalServer(database)
  const events = await createEventBus(database.pg, log)
  return { config, database, log, events, startedAt: new Date(), onClose: [() => events.close()] }
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return 'the configured URL'
  }
}

export async function closeDeps(deps: Deps): Promise<void> {
  for (const hook of deps.onClose.splice(0).reverse()) await hook()
  await deps.database.close()
}

/** Starts the HTTP server; a port in use or a refused address is a StartError. */
export async function serve(deps: Deps) {
  const { config, log } = deps
  // ansible-playbook cannot read the binary's embedded files: give jobs a real folder before the first one.
  const playbooks = await resourceDir('ansible', config.dataDir)
  const app = createApp(deps)
  let server: ReturnType<typeof Bun.serve>
  try {
    server = Bun.serve({
      hostname: config.host,
      port: config.port,
      fetch: app.fetch,
      // SSE streams send a heartbeat every 15 s; idle sockets beyond 30 s are closed.
      idleTimeout: 30,
      maxRequestBodySize: 16 * 1024 * 1024,
    })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EADDRINUSE')
      throw new StartError(
        `port ${config.port} on ${config.host} is already in use; choose another with --port or PORT`,
      )
    if (code === 'EACCES')
      throw new StartError(
        `not allowed to listen on ${config.host}:${config.port}; use a port above 1023 or run with the right capability`,
      )
    throw new StartError(`cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`)
  }
  log.info('listening', {
    url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${server.port}`,
    public: config.publicUrl,
    database: config.database.dialect,
    playbooks,
  })
  // Jobs start after the app is built, so every area's job kinds (and their hooks) are registered.
  const runner = await startJobRunner(deps)
  deps.onClose.push(() => runner.stop())
  if ((await countUsers(deps.database)) === 0) {
    const token = await issueSetupToken(deps.database)
    process.stdout.write(
      `\nNo users yet. Create the first admin within one hour at:\n  ${config.publicUrl}/setup?token=${token}\n(or run: unipanel user create --username admin --role admin)\n\n`,
    )
  }
  return server
}
