/** Reading processes from /proc in job tests: a process group's live members, their command lines. */
import { readdirSync, readFileSync } from 'node:fs'

/** The live processes of a process group (a job's ansible-playbook and its children). */
export function groupMembers(pgid: number): number[] {
  const out: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const [state, , group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      // A zombie is dead already; where PID 1 does not reap orphans (containers) it lingers.
      if (Number(group) === pgid && state !== 'Z') out.push(Number(name))
    } catch {
      // gone meanwhile
    }
  }
  return out
}

/** A /proc file of a process as text ('' when the process is gone). */
export function procText(pid: number, file: 'cmdline' | 'environ'): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8')
  } catch {
    return ''
  }
}

/** Polls until `probe` answers something truthy. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | null | undefined> | T | null | undefined,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    const value = await probe()
    if (value) return value
    await Bun.sleep(50)
  }
  throw new Error(`timed out waiting for ${what}`)
}
