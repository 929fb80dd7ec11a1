/**
 * The job runner: claims queued jobs (at most `concurrency` plays at once, one per
 * server), runs ansible-playbook for each in its own process group, streams the log,
 * and records how it ended. It also
 * - joins queued jobs of a batchable kind for one server into a single play;
 * - cancels on request (SIGTERM to the whole group, SIGKILL after a grace period),
 *   and stops a run that outlives its kind's timeout the same way;
 * - beats a heartbeat for its running jobs; at start, and every little while, jobs
 *   left running by a dead panel process become `interrupted`, their server lock is
 *   released and what their ansible-playbook left behind is stopped and removed.
 *
 * @example
 *   const runner = await startJobRunner(deps)
 *   deps.onClose.push(() => runner.stop())
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { isAbsolute, join, normalize } from 'node:path'
import type { Deps } from '../../deps.ts'
import { randomToken } from '../../lib/crypto.ts'
import { resourceDir } from '../../lib/resources.ts'
import { spawnProcess } from '../../lib/spawn.ts'
import { panelSshKey } from '../../lib/ssh-key.ts'
import { findServer, type Server } from '../servers/repository.ts'
import { JobLogWriter, jobTopic } from './log.ts'
import { CANCEL_TOPIC, DEFAULT_TIMEOUT_SECONDS, type Job, jobKind, QUEUED_TOPIC } from './model.ts'
import { failureReason, parseRecap, recapText, TaskProgress } from './output.ts'
import {
  claimBatch,
  claimNext,
  finishJobs,
  heartbeat,
  interruptJobs,
  type JobEnd,
  runningJobs,
  setPid,
  setProgress,
  staleJobs,
} from './repository.ts'
import { openJobSecrets, secretStrings } from './secrets.ts'
import {
  CannotRun,
  checkConnection,
  createWorkspace,
  removeLeftoverWorkspaces,
  WORKSPACE_PREFIX,
} from './workspace.ts'

export type RunnerOptions = {
  /** Plays at once in this process (default config.jobConcurrency). */
  concurrency?: number
  /** Ansible forks (hosts in parallel within a play). */
  forks?: number
  /** How often to look for queued jobs without being told (LISTEN/NOTIFY usually tells). */
  pollMs?: number
  heartbeatMs?: number
  /** A running job whose heartbeat is older than this is taken for dead. */
  staleMs?: number
  /** Between SIGTERM and SIGKILL. */
  killGraceMs?: number
  /** Most jobs joined into one play. */
  batchLimit?: number
}

type Run = {
  leader: Job
  jobs: Job[]
  pid: number | null
  /** Why the run is being stopped, if it is. */
  stopping: 'cancel' | 'timeout' | 'shutdown' | null
  kill(reason: 'cancel' | 'timeout' | 'shutdown'): void
  done: Promise<void>
}

/** This process, as written into the jobs it runs: host, pid and the process's start. */
function processMark(): { host: string; pid: number; start: string } {
  let start = 'unknown'
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8')
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim().slice(0, 8)
    start = `${boot}-${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}`
  } catch {
    // not Linux: the pid alone tells whether the process lives
  }
  return { host: hostname(), pid: process.pid, start }
}

function parseRunner(runner: string | null): { host: string; pid: number; start: string } | null {
  const m = /^(.*):(\d+):([^:]+):[^:]+$/.exec(runner ?? '')
  return m ? { host: m[1]!, pid: Number(m[2]), start: m[3]! } : null
}

/** Whether the process that wrote `runner` still runs (same host only). */
function processAlive(pid: number, start: string): boolean {
  try {
    process.kill(pid, 0)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  if (start === 'unknown') return true
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim().slice(0, 8)
    return start === `${boot}-${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}`
  } catch {
    return false
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal)
    return true
  } catch {
    return false
  }
}

/** Processes (other than this one) whose command line mentions `fragment`, such as a job's workspace. */
function processesMentioning(fragment: string): number[] {
  const found: number[] = []
  let names: string[] = []
  try {
    names = readdirSync('/proc')
  } catch {
    return found
  }
  for (const name of names) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(fragment)) found.push(Number(name))
    } catch {
      // ended meanwhile
    }
  }
  return found
}

/**
 * Stops every process still working for a job: its ansible-playbook (whose arguments
 * name the workspace) and what escaped its process group (an ssh control master,
 * which names its socket there). SIGTERM, then SIGKILL after `graceMs`.
 */
async function stopProcessesOf(fragment: string, graceMs: number): Promise<void> {
  const signal = (pids: number[], name: NodeJS.Signals) => {
    for (const pid of pids) {
      try {
        process.kill(pid, name)
      } catch {
        // already gone
      }
    }
  }
  let pids = processesMentioning(fragment)
  signal(pids, 'SIGTERM')
  for (let waited = 0; pids.length > 0 && waited < graceMs; waited += 100) {
    await Bun.sleep(100)
    pids = processesMentioning(fragment)
  }
  signal(pids, 'SIGKILL')
}

/** Reads a stream line by line until it ends. */
async function eachLine(stream: ReadableStream<Uint8Array>, onLines: (lines: string[]) => void) {
  const decoder = new TextDecoder()
  let rest = ''
  const reader = stream.getReader()
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    const chunk = read.value
    const parts = (rest + decoder.decode(chunk, { stream: true })).split('\n')
    rest = parts.pop() ?? ''
    if (parts.length) onLines(parts)
  }
  rest += decoder.decode()
  if (rest) onLines([rest])
}

const minutes = (seconds: number) =>
  seconds % 60 === 0 ? `${seconds / 60} minute${seconds === 60 ? '' : 's'}` : `${seconds} seconds`

/** Where a job's playbook is: a name inside ansible/, or an absolute path (tests' fixtures). */
export function playbookPath(ansibleDir: string, playbook: string): string {
  const path = isAbsolute(playbook) ? normalize(playbook) : join(ansibleDir, normalize(playbook))
  if (!isAbsolute(playbook) && !path.startsWith(`${ansibleDir}/`))
    throw new CannotRun('the playbook is outside ansible/')
  if (!existsSync(path)) throw new CannotRun(`the playbook ${playbook} does not exist`)
  return path
}

export class JobRunner {
  readonly id: string
  private readonly runs = new Map<number, Run>()
  private readonly options: Required<RunnerOptions>
  private stopped = false
  private ticking: Promise<void> | null = null
  private tickAgain = false
  private timers: ReturnType<typeof setInterval>[] = []
  private unsubscribe: (() => void)[] = []

  constructor(
    private readonly deps: Deps,
    options: RunnerOptions = {},
  ) {
    const mark = processMark()
    this.id = `${mark.host}:${mark.pid}:${mark.start}:${randomToken(6)}`
    this.options = {
      concurrency: options.concurrency ?? deps.config.jobConcurrency,
      forks: options.forks ?? deps.config.ansibleForks,
      pollMs: options.pollMs ?? 2000,
      heartbeatMs: options.heartbeatMs ?? 10_000,
      staleMs: options.staleMs ?? 90_000,
      killGraceMs: options.killGraceMs ?? 5000,
      batchLimit: options.batchLimit ?? 500,
    }
  }

  async start(): Promise<this> {
    await this.recover()
    this.unsubscribe.push(
      this.deps.events.subscribe(QUEUED_TOPIC, () => this.kick()),
      this.deps.events.subscribe(CANCEL_TOPIC, (payload) => {
        const id = (payload as { id?: unknown })?.id
        if (typeof id === 'number') this.cancelLocal(id)
      }),
    )
    this.timers.push(
      setInterval(() => this.kick(), this.options.pollMs),
      setInterval(() => void this.beat(), this.options.heartbeatMs),
      setInterval(() => void this.sweepStale(), Math.min(this.options.staleMs / 3, 30_000)),
    )
    this.kick()
    return this
  }

  /** Stops taking jobs; runs still going are stopped and recorded as interrupted. */
  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    for (const timer of this.timers) clearInterval(timer)
    for (const off of this.unsubscribe) off()
    await this.ticking
    const runs = [...this.runs.values()]
    for (const run of runs) run.kill('shutdown')
    await Promise.all(runs.map((r) => r.done))
  }

  /** Looks for work now (after an enqueue, say). */
  kick(): void {
    if (this.stopped) return
    if (this.ticking) {
      this.tickAgain = true
      return
    }
    this.ticking = this.tick()
      .catch((err) => this.deps.log.error('job runner: claiming failed', { error: (err as Error).message }))
      .finally(() => {
        this.ticking = null
        if (this.tickAgain) {
          this.tickAgain = false
          this.kick()
        }
      })
  }

  private async tick(): Promise<void> {
    const { database } = this.deps
    while (!this.stopped && this.runs.size < this.options.concurrency) {
      const leader = await claimNext(database, this.id)
      if (!leader) return
      const followers = await claimBatch(database, leader, this.id, this.options.batchLimit - 1)
      const jobs = [followers.length ? { ...leader, batchId: leader.id } : leader, ...followers]
      this.begin(jobs)
    }
  }

  private begin(jobs: Job[]): void {
    const leader = jobs[0]!
    let resolveDone: () => void = () => {}
    const run: Run = {
      leader,
      jobs,
      pid: null,
      stopping: null,
      // Until the process exists a stop is only remembered; execute() acts on it after the spawn.
      kill: (reason) => {
        run.stopping ??= reason
      },
      done: new Promise((resolve) => {
        resolveDone = resolve
      }),
    }
    this.runs.set(leader.id, run)
    for (const job of jobs.slice(1)) {
      // Viewers of a joined job follow the play's log from now on.
      this.deps.events.publish(jobTopic(job.id), { t: 'state', id: job.id, finished: false })
    }
    this.execute(run)
      .catch((err) => this.failRun(run, err as Error))
      .finally(() => {
        this.runs.delete(leader.id)
        resolveDone()
        this.kick()
      })
  }

  private async execute(run: Run): Promise<void> {
    const { deps } = this
    const { leader, jobs } = run
    const ids = jobs.map((j) => j.id)
    const secrets = jobs.map((j) => openJobSecrets(deps, j.secrets))
    const log = new JobLogWriter(
      deps,
      leader.id,
      secrets.flatMap((s) => secretStrings(s)),
    )
    const lines: string[] = []
    const keep = (stored: string[]) => {
      if (lines.length < 100_000) lines.push(...stored)
    }
    const progress = new TaskProgress()
    let progressTimer: ReturnType<typeof setTimeout> | null = null
    const saveProgress = () => {
      progressTimer = null
      deps.events.publish(jobTopic(leader.id), { t: 'progress', done: progress.done, total: progress.total })
      void setProgress(deps.database, ids, progress.done, progress.total).catch(() => {})
    }

    const server = leader.serverId === null ? null : await findServer(deps.database, leader.serverId)
    const where = server ? ` on ${server.name}` : ''
    keep(
      log.write([
        `[unipanel] job ${leader.id}${jobs.length > 1 ? ` with ${jobs.length - 1} more in one play` : ''}: ${leader.kind}${where}, playbook ${leader.playbook}${leader.dryRun ? ' (dry run: --check --diff, nothing is changed)' : ''}`,
      ]),
    )

    let end: JobEnd
    let workspace: ReturnType<typeof createWorkspace> | null = null
    try {
      if (leader.serverId !== null && !server) throw new CannotRun('the server of this job no longer exists')
      const ansibleDir = await resourceDir('ansible', deps.config.dataDir)
      const path = playbookPath(ansibleDir, leader.playbook)
      // Checked before the key is fetched: a refused server starts nothing, not even ssh-keygen.
      if (server) checkConnection(server)
      const privateKey = server?.connection === 'ssh' ? (await panelSshKey(deps)).privateKey : null
      workspace = createWorkspace({
        jobId: leader.id,
        server,
        privateKey,
        ansibleDir,
        forks: this.options.forks,
        vars: this.varsFor(jobs, secrets),
      })
      const argv = workspace.argv(deps.config.ansiblePlaybook, path, leader.dryRun)
      let child: ReturnType<typeof spawnProcess>
      try {
        child = spawnProcess(argv, { env: workspace.env, cwd: workspace.dir, detached: true })
      } catch (err) {
        throw new CannotRun(
          `${deps.config.ansiblePlaybook} could not be started (${(err as Error).message}); install ansible-core or set UNIPANEL_ANSIBLE_PLAYBOOK`,
        )
      }
      const pid = child.pid
      run.pid = pid
      await setPid(deps.database, ids, pid)
      let killTimer: ReturnType<typeof setTimeout> | null = null
      const stopBeforeStart = run.stopping
      run.stopping = null
      run.kill = (reason) => {
        if (run.stopping) return
        run.stopping = reason
        keep(
          log.write([
            `[unipanel] stopping: ${reason === 'cancel' ? 'cancelled' : reason === 'timeout' ? 'time limit reached' : 'the panel is stopping'} (SIGTERM to the process group)`,
          ]),
        )
        signalGroup(pid, 'SIGTERM')
        killTimer = setTimeout(() => {
          keep(log.write(['[unipanel] still running after SIGTERM: SIGKILL']))
          signalGroup(pid, 'SIGKILL')
        }, this.options.killGraceMs)
      }
      if (stopBeforeStart) run.kill(stopBeforeStart)
      else if (jobs.some((j) => j.cancelRequested)) run.kill('cancel')
      const timeoutSeconds = leader.timeoutSeconds || DEFAULT_TIMEOUT_SECONDS
      const timeout = setTimeout(() => run.kill('timeout'), timeoutSeconds * 1000)
      const onLines = (raw: string[]) => {
        const stored = log.write(raw)
        keep(stored)
        let changed = false
        for (const line of stored) changed = progress.see(line) || changed
        if (changed) progressTimer ??= setTimeout(saveProgress, 300)
      }
      await Promise.all([eachLine(child.stdout, onLines), eachLine(child.stderr, onLines)])
      const exitCode = await child.exited
      clearTimeout(timeout)
      if (killTimer) clearTimeout(killTimer)
      // Whatever the play left behind goes with it: its group, and an ssh control master outside it.
      signalGroup(pid, 'SIGKILL')
      await stopProcessesOf(workspace.dir, 1000)
      end = this.outcome(run, exitCode, lines, server, timeoutSeconds)
      if (end.state === 'succeeded' && existsSync(workspace.resultFile)) {
        try {
          end.result = JSON.parse(readFileSync(workspace.resultFile, 'utf8')) as Record<string, unknown>
        } catch {
          end.result = null
        }
      }
    } catch (err) {
      if (!(err instanceof CannotRun)) throw err
      end = {
        state: 'failed',
        exitCode: null,
        recap: null,
        summary: err.message,
        result: null,
        tasksDone: 0,
        tasksTotal: null,
        logText: null,
      }
    } finally {
      workspace?.remove()
      if (progressTimer) clearTimeout(progressTimer)
    }
    end.tasksDone = progress.done
    end.tasksTotal = progress.total
    keep(log.write([`[unipanel] ${end.state}: ${end.summary}`]))
    log.close()
    end.logText = log.archive()
    // The kinds' hooks (e.g. facts onto the server row) run before the end is recorded, so
    // whoever sees a job succeeded also sees what it changed.
    await this.runHooks(jobs.map((job) => ({ ...job, ...end, finishedAt: new Date() })))
    const finished = [
      ...(await finishJobs(deps.database, [leader.id], end)),
      ...(await finishJobs(deps.database, ids.slice(1), { ...end, logText: null })),
    ]
    this.publishEnd(finished)
  }

  /** An unexpected error (the database went away, say): stop the play and, if possible, record the failure. */
  private async failRun(run: Run, err: Error): Promise<void> {
    this.deps.log.error('job runner: a run failed', { job: run.leader.id, error: err.message })
    if (run.pid) signalGroup(run.pid, 'SIGKILL')
    try {
      const ended = await finishJobs(
        this.deps.database,
        run.jobs.map((j) => j.id),
        {
          state: 'failed',
          exitCode: null,
          recap: null,
          summary: `the panel could not finish running this job: ${err.message.split('\n')[0]}`,
          result: null,
          tasksDone: 0,
          tasksTotal: null,
          logText: null,
        },
      )
      await this.afterEnd(ended)
    } catch {
      // The database is unreachable too: the heartbeat sweep of a healthy process will interrupt the jobs.
    }
  }

  /** The vars file: the job's input (and secrets) as top-level variables, or `items` for a batchable kind. */
  private varsFor(jobs: Job[], secrets: Record<string, unknown>[]): Record<string, unknown> {
    const leader = jobs[0]!
    const common = {
      unipanel_job_id: leader.id,
      unipanel_dry_run: leader.dryRun,
      unipanel_panel_url: this.deps.config.publicUrl,
      unipanel_runner: this.id,
    }
    if (!leader.batchable) return { ...leader.input, ...secrets[0], ...common }
    return { ...common, items: jobs.map((j, i) => ({ ...j.input, ...secrets[i], job_id: j.id })) }
  }

  private outcome(
    run: Run,
    exitCode: number,
    lines: string[],
    server: Server | null,
    timeoutSeconds: number,
  ): JobEnd {
    const recap = parseRecap(lines)
    const base = { exitCode, recap, result: null, tasksDone: 0, tasksTotal: null, logText: null }
    if (run.stopping === 'cancel') {
      const others = run.jobs.length > 1 ? ' (with every job of its play)' : ''
      return { ...base, state: 'cancelled', summary: `cancelled while running${others}` }
    }
    if (run.stopping === 'timeout')
      return {
        ...base,
        state: 'failed',
        summary: `stopped after the time limit of ${minutes(timeoutSeconds)}`,
      }
    if (run.stopping === 'shutdown')
      return { ...base, state: 'interrupted', summary: 'the panel stopped while the job ran' }
    if (exitCode === 0) return { ...base, state: 'succeeded', summary: recap ? recapText(recap) : 'done' }
    const reason = failureReason(lines)
    if (reason === 'host-key' && server) {
      return {
        ...base,
        state: 'failed',
        summary: `the SSH host key of ${server.name} (${server.host}:${server.port}) is not the one recorded when the server was added, so the panel refused to connect; if the server was reinstalled, check its new key and record it again`,
      }
    }
    const counts = recap ? ` (${recapText(recap)})` : ''
    return {
      ...base,
      state: 'failed',
      summary: `${reason ?? `ansible-playbook exited with code ${exitCode}`}${counts}`,
    }
  }

  /** Tells viewers and each kind's hook that jobs ended. */
  private async afterEnd(jobs: Job[]): Promise<void> {
    this.publishEnd(jobs)
    await this.runHooks(jobs)
  }

  private publishEnd(jobs: Job[]): void {
    for (const job of jobs)
      this.deps.events.publish(jobTopic(job.id), { t: 'state', id: job.id, finished: true })
  }

  private async runHooks(jobs: Job[]): Promise<void> {
    for (const job of jobs) {
      const hook = jobKind(job.kind)?.onFinished
      if (!hook) continue
      try {
        await hook(this.deps, job)
      } catch (err) {
        this.deps.log.error('job hook failed', { job: job.id, kind: job.kind, error: (err as Error).message })
      }
    }
  }

  private cancelLocal(id: number): void {
    for (const run of this.runs.values()) {
      if (run.jobs.some((j) => j.id === id)) run.kill('cancel')
    }
  }

  private async beat(): Promise<void> {
    try {
      const ids = [...this.runs.values()].flatMap((run) => run.jobs.map((j) => j.id))
      for (const id of await heartbeat(this.deps.database, this.id, ids)) this.cancelLocal(id)
    } catch (err) {
      this.deps.log.error('job runner: heartbeat failed', { error: (err as Error).message })
    }
  }

  /** At start: jobs of dead processes on this host are interrupted at once; others when stale. */
  private async recover(): Promise<void> {
    const here = hostname()
    const dead = (await runningJobs(this.deps.database)).filter((job) => {
      const owner = parseRunner(job.runner)
      return (
        owner !== null &&
        owner.host === here &&
        job.runner !== this.id &&
        !processAlive(owner.pid, owner.start)
      )
    })
    await this.interrupt(
      dead,
      'the panel process running it stopped (a crash or a restart) before it finished',
    )
    await this.sweepStale()
  }

  private async sweepStale(): Promise<void> {
    try {
      const mine = new Set([...this.runs.values()].flatMap((run) => run.jobs.map((j) => j.id)))
      // Stale and not running here: another process died, or a run of ours ended without its row.
      const stale = (await staleJobs(this.deps.database, new Date(Date.now() - this.options.staleMs))).filter(
        (job) => job.runner !== this.id || !mine.has(job.id),
      )
      await this.interrupt(stale, 'the panel process running it stopped answering before the job finished')
    } catch (err) {
      this.deps.log.error('job runner: sweeping stale jobs failed', { error: (err as Error).message })
    }
  }

  private async interrupt(jobs: Job[], summary: string): Promise<void> {
    if (jobs.length === 0) return
    const here = hostname()
    for (const job of jobs) {
      if (parseRunner(job.runner)?.host !== here) continue
      await stopProcessesOf(`${WORKSPACE_PREFIX}${job.batchId ?? job.id}-`, 2000)
      removeLeftoverWorkspaces(job.id)
    }
    const interrupted = await interruptJobs(
      this.deps.database,
      jobs.map((j) => j.id),
      summary,
    )
    for (const job of interrupted) {
      new JobLogWriter(this.deps, job.batchId ?? job.id).write([`[unipanel] interrupted: ${summary}`])
    }
    if (interrupted.length)
      this.deps.log.warn('jobs interrupted', { jobs: interrupted.map((j) => j.id).join(',') })
    await this.afterEnd(interrupted)
  }
}

export async function startJobRunner(deps: Deps, options: RunnerOptions = {}): Promise<JobRunner> {
  return new JobRunner(deps, options).start()
}
