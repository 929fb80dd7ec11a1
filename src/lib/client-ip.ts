/**
 * The client's address: the socket's peer, or the last untrusted hop of
 * X-Forwarded-For when the peer is a configured proxy (never trusted otherwise).
 */
import type { Context } from 'hono'
import { getConnInfo } from 'hono/bun'

function inCidr(ip: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/')
  if (!base) return false
  if (!bitsText) return ip === base
  const bits = Number(bitsText)
  const toBig = (addr: string): bigint | null => {
    if (addr.includes('.') && !addr.includes(':')) {
      const parts = addr.split('.').map(Number)
      if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) return null
      return parts.reduce((acc, p) => (acc << 8n) + BigInt(p), 0n)
    }
    return null
  }
  const a = toBig(ip.replace(/^::ffff:/, ''))
  const b = toBig(base)
  if (a === null || b === null) return false
  const mask = bits === 0 ? 0n : ((1n << 32n) - 1n) ^ ((1n << BigInt(32 - bits)) - 1n)
  return (a & mask) === (b & mask)
}

export function clientIp(c: Context, trustedProxies: string[]): string {
  let peer = 'unknown'
  try {
    peer = getConnInfo(c).remote.address ?? 'unknown'
  } catch {
    // app.request() in tests has no socket.
  }
  if (trustedProxies.length === 0 || !trustedProxies.some((cidr) => inCidr(peer, cidr))) return peer
  const hops = (c.req.header('x-forwarded-for') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!
    if (!trustedProxies.some((cidr) => inCidr(hop, cidr))) return hop
  }
  return peer
}
