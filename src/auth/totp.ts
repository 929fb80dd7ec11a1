/**
 * TOTP two-factor authentication (RFC 6238 through otplib 13's functional API):
 * enrolment secrets sealed at rest, codes accepted within ±1 time step and only once
 * (the last accepted step is kept per user and compared in the UPDATE itself, so two
 * requests racing with the same code cannot both win), and ten single-use recovery
 * codes of which only the sha256 is kept.
 *
 * @example
 *   const { secret, pending } = startEnrolment(deps, user)  // base32 shown with a QR code; pending goes in the form
 *   await confirmEnrolment(deps, user, pending, '123456')    // → ['abcde-fghij', …] shown once
 *   await verifySecondFactor(deps, user, '123456')           // → 'totp' | 'recovery' | null
 */
import { randomBytes } from 'node:crypto'
import { and, eq, isNull, lt, or } from 'drizzle-orm'
import type { User } from '../areas/users/repository.ts'
import type { Database } from '../db/client.ts'
import type { Deps } from '../deps.ts'
import { secretBox, sha256Hex } from '../lib/crypto.ts'
import { identityChanged } from './session-cache.ts'

export const TOTP_PERIOD = 30
/** ±1 step: otplib checks [epoch − 30 s, epoch + 30 s], which spans the previous and next step. */
const TOLERANCE_SECONDS = TOTP_PERIOD
export const RECOVERY_CODE_COUNT = 10
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567'

let otplib: Promise<typeof import('otplib')> | null = null
let uqr: Promise<typeof import('uqr')> | null = null
/** Loaded on first use: most starts never check a code, and both cost memory at every start otherwise. */
const otp = () => {
  otplib ??= import('otplib')
  return otplib
}
const qrEncoder = () => {
  uqr ??= import('uqr')
  return uqr
}

const box = (deps: Pick<Deps, 'config'>) => secretBox(deps.config.secret, 'totp-secret')

/** The base32 secret of a user, unsealed (null when it has none). */
export function totpSecretOf(deps: Pick<Deps, 'config'>, user: User): string | null {
  return user.totpSecret ? box(deps).open(user.totpSecret) : null
}

const ENROL_MS = 30 * 60 * 1000

/**
 * Starts enrolment without writing anything: a fresh secret, and the same secret sealed
 * for this user with an expiry, carried by the form until a code confirms it.
 */
export async function startEnrolment(deps: Pick<Deps, 'config'>, user: User, now = Date.now()) {
  const secret = (await otp()).generateSecret()
  const pending = secretBox(deps.config.secret, 'totp-enrolment').seal(
    JSON.stringify({ user: user.id, secret, expires: now + ENROL_MS }),
  )
  return { secret, pending }
}

/** The same enrolment again (after a wrong code), while it has not expired. */
export function resumeEnrolment(deps: Pick<Deps, 'config'>, user: User, pending: string, now = Date.now()) {
  const secret = openPending(deps, user, pending, now)
  return secret ? { secret, pending } : null
}

function openPending(deps: Pick<Deps, 'config'>, user: User, pending: string, now: number): string | null {
  try {
    const value = JSON.parse(secretBox(deps.config.secret, 'totp-enrolment').open(pending)) as {
      user: number
      secret: string
      expires: number
    }
    return value.user === user.id && value.expires > now ? value.secret : null
  } catch {
    return null
  }
}

export async function otpauthUri(secret: string, username: string): Promise<string> {
  return (await otp()).generateURI({ issuer: 'Unipanel', label: username, secret })
}

/** A QR code as an SVG data: URL (the CSP allows data: images, and an <img> needs no style). */
export async function qrCodeDataUrl(text: string): Promise<string> {
  const qr = (await qrEncoder()).encode(text, { ecc: 'M', border: 2 })
  let path = ''
  qr.data.forEach((row, y) => {
    row.forEach((dark, x) => {
      if (dark) path += `M${x} ${y}h1v1h-1z`
    })
  })
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${qr.size} ${qr.size}" shape-rendering="crispEdges"><rect width="100%" height="100%" fill="#fff"/><path fill="#000" d="${path}"/></svg>`
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`
}

/**
 * Checks a 6-digit code against the user's secret, ±1 step, and records its step so it
 * works once. Returns false for a wrong, stale or replayed code.
 */
export async function acceptTotpCode(
  deps: Pick<Deps, 'config' | 'database'>,
  user: User,
  code: string,
  now = Date.now(),
): Promise<boolean> {
  const secret = totpSecretOf(deps, user)
  if (!secret || !/^\d{6}$/.test(code)) return false
  const result = await (await otp()).verify({
    secret,
    token: code,
    epoch: Math.floor(now / 1000),
    epochTolerance: TOLERANCE_SECONDS,
    ...(user.totpLastStep != null ? { afterTimeStep: user.totpLastStep } : {}),
  })
  if (!result.valid || !('timeStep' in result)) return false
  const step = result.timeStep
  const { db, t } = deps.database
  const updated = await db
    .update(t.users)
    .set({ totpLastStep: step })
    .where(and(eq(t.users.id, user.id), or(isNull(t.users.totpLastStep), lt(t.users.totpLastStep, step))))
    .returning({ id: t.users.id })
  return updated.length === 1
}

/**
 * Turns 2FA on when the code matches the pending secret; stores the secret sealed with
 * the code's step as the last used one, and returns the new recovery codes (shown once).
 */
export async function confirmEnrolment(
  deps: Pick<Deps, 'config' | 'database'>,
  user: User,
  pending: string,
  code: string,
  now = Date.now(),
): Promise<string[] | null> {
  if (user.totpEnabled) return null
  const secret = openPending(deps, user, pending, now)
  if (!secret || !/^\d{6}$/.test(code)) return null
  const result = await (await otp()).verify({
    secret,
    token: code,
    epoch: Math.floor(now / 1000),
    epochTolerance: TOLERANCE_SECONDS,
  })
  if (!result.valid || !('timeStep' in result)) return null
  const { db, t } = deps.database
  const updated = await db
    .update(t.users)
    .set({ totpSecret: box(deps).seal(secret), totpEnabled: true, totpLastStep: result.timeStep })
    .where(and(eq(t.users.id, user.id), eq(t.users.totpEnabled, false)))
    .returning({ id: t.users.id })
  if (updated.length !== 1) return null
  identityChanged(deps.database)
  return replaceRecoveryCodes(deps.database, user.id)
}

/** Ten fresh single-use codes like `k3m9x-q2w7p`; older codes stop working. */
export async function replaceRecoveryCodes(database: Database, userId: number): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    // 10 base32 characters: 50 random bits each, against a throttled login.
    const raw = Array.from(randomBytes(10), (b) => BASE32[b & 31]).join('')
    return `${raw.slice(0, 5)}-${raw.slice(5)}`
  })
  const { t } = database
  await database.transaction(async (tx) => {
    await tx.delete(t.recoveryCodes).where(eq(t.recoveryCodes.userId, userId))
    await tx.insert(t.recoveryCodes).values(codes.map((code) => ({ userId, codeHash: sha256Hex(code) })))
  })
  return codes
}

export function normaliseRecoveryCode(code: string): string {
  return code.trim().toLowerCase().replace(/\s+/g, '')
}

/** Uses up a recovery code; false when unknown or already used. */
export async function consumeRecoveryCode(
  database: Database,
  userId: number,
  code: string,
): Promise<boolean> {
  const normalised = normaliseRecoveryCode(code)
  if (!/^[a-z0-9]{5}-[a-z0-9]{5}$/.test(normalised)) return false
  const { db, t } = database
  const used = await db
    .update(t.recoveryCodes)
    .set({ usedAt: new Date() })
    .where(
      and(
        eq(t.recoveryCodes.userId, userId),
        eq(t.recoveryCodes.codeHash, sha256Hex(normalised)),
        isNull(t.recoveryCodes.usedAt),
      ),
    )
    .returning({ id: t.recoveryCodes.id })
  return used.length === 1
}

export async function unusedRecoveryCodes(database: Database, userId: number): Promise<number> {
  const { db, t } = database
  const rows = await db
    .select({ id: t.recoveryCodes.id })
    .from(t.recoveryCodes)
    .where(and(eq(t.recoveryCodes.userId, userId), isNull(t.recoveryCodes.usedAt)))
  return rows.length
}

/** The second login step: a TOTP code or a recovery code. */
export async function verifySecondFactor(
  deps: Pick<Deps, 'config' | 'database'>,
  user: User,
  code: string,
): Promise<'totp' | 'recovery' | null> {
  const trimmed = code.trim().replace(/\s+/g, '')
  if (/^\d{6}$/.test(trimmed)) return (await acceptTotpCode(deps, user, trimmed)) ? 'totp' : null
  return (await consumeRecoveryCode(deps.database, user.id, trimmed)) ? 'recovery' : null
}

/** Turns 2FA off and forgets the secret and the recovery codes. */
export async function disableTotp(database: Database, userId: number): Promise<void> {
  const { t } = database
  await database.transaction(async (tx) => {
    await tx
      .update(t.users)
      .set({ totpSecret: null, totpEnabled: false, totpLastStep: null })
      .where(eq(t.users.id, userId))
    await tx.delete(t.recoveryCodes).where(eq(t.recoveryCodes.userId, userId))
  })
  identityChanged(database)
}
