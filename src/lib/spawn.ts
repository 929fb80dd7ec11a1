/**
 * The one way the panel starts another program: an argv array and an explicit
 * environment, never a shell. Every spawn is announced to observers so tests can
 * prove that a hostile input started nothing.
 *
 * @example
 *   const { exitCode, stdout } = await run(['nginx', '-t'])
 */
export type SpawnOptions = {
  cwd?: string
  /** The child's whole environment; PATH, HOME and LANG are passed through unless given. */
  env?: Record<string, string | undefined>
  stdin?: string | Uint8Array<ArrayBuffer>
  /** Start the child in its own process group, so cancel can signal the whole tree. */
  detached?: boolean
  timeoutMs?: number
}

type Observer = (argv: readonly string[]) => void
const observers = new Set<Observer>()

/** Watch every spawn (tests); returns the function that stops watching. */
export function observeSpawns(observer: Observer): () => void {
  observers.add(observer)
  return () => observers.delete(observer)
}

export class SpawnError extends Error {}

function checkArgv(argv: readonly string[]): void {
  if (argv.length === 0 || !argv[0]) throw new SpawnError('nothing to run')
  for (const arg of argv) {
    if (typeof arg !== 'string' || arg.includes('\0')) throw new SpawnError('an argument holds a NUL byte')
  }
}

function baseEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {}
  for (const key of ['PATH', 'HOME', 'LANG', 'TMPDIR']) {
    const value = process.env[key]
    if (value !== undefined) env[key] = value
  }
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key]
    else env[key] = value
  }
  return env
}

/** Starts a program and returns the live subprocess (for streaming its output). */
export function spawnProcess(argv: readonly string[], options: SpawnOptions = {}) {
  checkArgv(argv)
  for (const observer of observers) observer(argv)
  return Bun.spawn([...argv], {
    cwd: options.cwd,
    env: baseEnv(options.env),
    stdin: options.stdin === undefined ? 'ignore' : new Blob([options.stdin]),
    stdout: 'pipe',
    stderr: 'pipe',
    detached: options.detached,
    timeout: options.timeoutMs,
    killSignal: 'SIGKILL',
  })
}

export type RunResult = { exitCode: number; stdout: string; stderr: string }

/** Runs a program to its end and collects its output. A missing program gives exit code 127. */
export async function run(argv: readonly string[], options: SpawnOptions = {}): Promise<RunResult> {
  let child: ReturnType<typeof spawnProcess>
  try {
    child = spawnProcess(argv, options)
  } catch (err) {
    if (err instanceof SpawnError) throw err
    return { exitCode: 127, stdout: '', stderr: `${argv[0]}: ${(err as Error).message}` }
  }
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ])
  return { exitCode, stdout, stderr }
}
