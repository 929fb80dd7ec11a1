/**
 * Where the panel's own files (static/, drizzle/, ansible/) are. In a checkout they
 * sit beside src/; in the compiled binary they are embedded and listed by the
 * generated manifest (scripts/compile.ts). Programs that cannot read Bun's embedded
 * file system (ansible-playbook, drizzle's migrator) get a copy extracted into a
 * folder of the data dir named after the content hash, so upgrades never mix versions.
 *
 * @example
 *   const playbooks = resourceDir('ansible', config.dataDir)
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { sha256Hex } from './crypto.ts'

/** Set by the compiled entry point: repository-relative path -> embedded file path. */
type Manifest = Record<string, string>
let embedded: Manifest | null = null

export function registerEmbedded(manifest: Manifest): void {
  embedded = manifest
}

export const isCompiled = () => embedded !== null

export const checkoutRoot = resolve(import.meta.dir, '../..')

/**
 * The path of a file of the panel's own (e.g. 'static/app.css') that Bun.file and
 * readFileSync can open (an embedded /$bunfs path when compiled), or null.
 */
export function resourcePath(rel: string): string | null {
  if (rel.includes('..') || rel.includes('\0')) return null
  if (embedded) return embedded[rel] ?? null
  const path = join(checkoutRoot, rel)
  return existsSync(path) && statSync(path).isFile() ? path : null
}

/** A file of the panel's own, or null when it is not there. */
export function resourceFile(rel: string): ReturnType<typeof Bun.file> | null {
  const path = resourcePath(rel)
  return path ? Bun.file(path) : null
}

/** Every file below a top folder ('static'), as repository-relative paths. */
export function resourceList(top: string): string[] {
  if (embedded) return Object.keys(embedded).filter((k) => k.startsWith(`${top}/`))
  const out: string[] = []
  const walk = (dir: string) => {
    if (!existsSync(dir)) return
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name)
      if (entry.isDirectory()) walk(full)
      else if (entry.isFile()) out.push(relative(checkoutRoot, full))
    }
  }
  walk(join(checkoutRoot, top))
  return out.sort()
}

const extracted = new Map<string, string>()

/**
 * A real directory holding the folder `top`: the checkout's own in development, an
 * extracted copy under `<dataDir>/runtime/<top>-<hash>` when compiled.
 */
export async function resourceDir(top: string, dataDir: string): Promise<string> {
  if (!embedded) return join(checkoutRoot, top)
  const cached = extracted.get(top)
  if (cached) return cached
  const files = resourceList(top)
  const contents = await Promise.all(
    files.map(async (f) => new Uint8Array(await resourceFile(f)!.arrayBuffer())),
  )
  const hash = sha256Hex(files.map((f, i) => `${f}:${sha256Hex(contents[i]!)}`).join('\n')).slice(0, 16)
  const target = join(dataDir, 'runtime', `${top}-${hash}`)
  if (!existsSync(target)) {
    const staging = `${target}.tmp-${process.pid}`
    rmSync(staging, { recursive: true, force: true })
    files.forEach((f, i) => {
      const out = join(staging, relative(top, f))
      mkdirSync(dirname(out), { recursive: true, mode: 0o700 })
      writeFileSync(out, contents[i]!, { mode: 0o600 })
    })
    mkdirSync(dirname(target), { recursive: true, mode: 0o700 })
    try {
      renameSync(staging, target)
    } catch (err) {
      // Another process extracted the same version first; its copy is identical.
      rmSync(staging, { recursive: true, force: true })
      if (!existsSync(target)) throw err
    }
  }
  extracted.set(top, target)
  return target
}
