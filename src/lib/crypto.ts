/**
 * Small cryptographic helpers: random tokens, hashes for secrets we only need to
 * compare (session ids, API tokens), and AES-256-GCM for secrets we must read back
 * (SSH keys, TOTP secrets), keyed from UNIPANEL_SECRET which lives outside the database.
 *
 * @example
 *   const box = secretBox(config.secret)
 *   const stored = box.seal('JBSWY3DPEHPK3PXP')
 *   box.open(stored) // 'JBSWY3DPEHPK3PXP'
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto'

/** A URL-safe random string carrying `bytes` bytes of entropy. */
export function randomToken(bytes = 16): string {
  return randomBytes(bytes).toString('base64url')
}

export function sha256Hex(value: string | Uint8Array): string {
  return createHash('sha256').update(value).digest('hex')
}

export function hmacHex(key: string | Uint8Array, value: string | Uint8Array): string {
  return createHmac('sha256', key).update(value).digest('hex')
}

/** Constant-time comparison of two strings (false when lengths differ). */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a)
  const bb = Buffer.from(b)
  return ab.length === bb.length && timingSafeEqual(ab, bb)
}

export type SecretBox = { seal(plain: string): string; open(sealed: string): string }

/** AES-256-GCM with a key derived per purpose; output is `v1.<iv>.<tag>.<ciphertext>` in base64url. */
export function secretBox(secret: string, purpose = 'secrets-at-rest'): SecretBox {
  const key = Buffer.from(hkdfSync('sha256', secret, 'unipanel', purpose, 32))
  return {
    seal(plain) {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
      return [
        'v1',
        iv.toString('base64url'),
        cipher.getAuthTag().toString('base64url'),
        body.toString('base64url'),
      ].join('.')
    },
    open(sealed) {
      const [version, iv, tag, body] = sealed.split('.')
      if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('not a sealed secret')
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
      decipher.setAuthTag(Buffer.from(tag, 'base64url'))
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
        'utf8',
      )
    },
  }
}
