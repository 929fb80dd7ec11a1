/**
 * The panel's own SSH key pair, used to reach managed servers. Generated once with
 * ssh-keygen (ed25519) and kept in the settings table, the private half sealed with
 * the secret box (the key lives outside the database). Only the public half is ever
 * shown; the private half is written to a 0600 file in a private temp dir for the
 * length of one job and removed after.
 *
 * @example
 *   const { publicKey } = await panelSshKey(deps)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import type { Deps } from '../deps.ts'
import { secretBox } from './crypto.ts'
import { AppError } from './errors.ts'
import { run } from './spawn.ts'

const KEY = 'ssh_key'

type Stored = { publicKey: string; sealedPrivateKey: string }

const pending = new WeakMap<Deps, Promise<{ publicKey: string; privateKey: string }>>()

async function load(deps: Deps): Promise<{ publicKey: string; privateKey: string }> {
  const { db, t } = deps.database
  const box = secretBox(deps.config.secret, 'ssh-key')
  const [row] = await db.select().from(t.settings).where(eq(t.settings.key, KEY)).limit(1)
  if (row) {
    const stored = row.value as Stored
    return { publicKey: stored.publicKey, privateKey: box.open(stored.sealedPrivateKey) }
  }
  const dir = mkdtempSync(join(tmpdir(), 'unipanel-keygen-'))
  try {
    const file = join(dir, 'id_ed25519')
    const result = await run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'unipanel', '-f', file])
    if (result.exitCode !== 0) {
      throw new AppError(
        'unavailable',
        `ssh-keygen failed (${result.exitCode === 127 ? 'install openssh-client' : result.stderr.trim()})`,
      )
    }
    const generated = {
      publicKey: readFileSync(`${file}.pub`, 'utf8').trim(),
      privateKey: readFileSync(file, 'utf8'),
    }
    const value: Stored = { publicKey: generated.publicKey, sealedPrivateKey: box.seal(generated.privateKey) }
    // Another process may have made one meanwhile; keep whichever was stored first.
    await db.insert(t.settings).values({ key: KEY, value }).onConflictDoNothing()
    const [stored] = await db.select().from(t.settings).where(eq(t.settings.key, KEY)).limit(1)
    const kept = stored!.value as Stored
    return { publicKey: kept.publicKey, privateKey: box.open(kept.sealedPrivateKey) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The panel's key pair, generated on first use (once per panel, even when asked concurrently). */
export function panelSshKey(deps: Deps): Promise<{ publicKey: string; privateKey: string }> {
  let key = pending.get(deps)
  if (!key) {
    key = load(deps).catch((err) => {
      pending.delete(deps)
      throw err
    })
    pending.set(deps, key)
  }
  return key
}
