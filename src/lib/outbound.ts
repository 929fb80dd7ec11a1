/**
 * Requests the panel makes to the outside (alert webhooks, Telegram, SMTP, checks), as
 * SECURITY.md asks: the host is resolved once and the connection goes to that very
 * address (no second lookup a DNS rebinding could answer differently); private,
 * loopback, link-local and other special ranges are refused unless an admin listed them
 * in UNIPANEL_OUTBOUND_ALLOW; redirects are never followed; answers are size- and
 * time-bounded.
 *
 * @example
 *   const res = await outboundFetch('https://hooks.example.com/x', { method: 'POST', body },
 *     { allow: deps.config.outboundAllow })
 *   const { address } = await resolveOutbound('smtp.example.com', deps.config.outboundAllow)
 */
import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { checkServerIdentity } from 'node:tls'

export class OutboundError extends Error {}

/** Parses an IPv4 or IPv6 address into its bits, or null. */
export function parseAddress(ip: string): { family: 4 | 6; bits: bigint } | null {
  const text = ip.replace(/^\[|\]$/g, '').replace(/%.*$/, '')
  if (isIP(text) === 4) {
    return { family: 4, bits: text.split('.').reduce((acc, p) => (acc << 8n) + BigInt(Number(p)), 0n) }
  }
  if (isIP(text) !== 6) return null
  let head = text
  let tailV4: bigint | null = null
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (v4) {
    tailV4 = parseAddress(v4[1]!)!.bits
    head = `${text.slice(0, -v4[1]!.length)}0:0`
  }
  const [left, right] = head.split('::') as [string, string | undefined]
  const groups = (s: string) => (s ? s.split(':').map((g) => BigInt(Number.parseInt(g, 16))) : [])
  const l = groups(left)
  const r = right === undefined ? [] : groups(right)
  const all = right === undefined ? l : [...l, ...Array(8 - l.length - r.length).fill(0n), ...r]
  let bits = all.reduce((acc, g) => (acc << 16n) + g, 0n)
  if (tailV4 !== null) bits = (bits & ~0xffffffffn) | tailV4
  return { family: 6, bits }
}

/** Whether `ip` lies in `cidr` ("10.0.0.0/8", "::1/128", or a bare address). */
export function inCidr(ip: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/')
  const a = parseAddress(ip)
  const b = parseAddress(base ?? '')
  if (!a || !b || a.family !== b.family) return false
  const width = a.family === 4 ? 32 : 128
  const prefix = bitsText === undefined ? width : Number(bitsText)
  if (!(prefix >= 0 && prefix <= width)) return false
  const shift = BigInt(width - prefix)
  return a.bits >> shift === b.bits >> shift
}

const SPECIAL_V4 = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.88.99.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
]
const SPECIAL_V6 = [
  '::/127',
  '100::/64',
  '2001::/32',
  '2001:db8::/32',
  'fc00::/7',
  'fe80::/10',
  'fec0::/10',
  'ff00::/8',
]
/** IPv6 ranges that carry an IPv4 address in their last 32 bits: judged by that address. */
const EMBEDS_V4 = ['::ffff:0:0/96', '64:ff9b::/96', '::/96']

/** True for an address on the public internet; false for private, loopback, link-local, reserved… */
export function isPublicAddress(ip: string): boolean {
  const parsed = parseAddress(ip)
  if (!parsed) return false
  if (parsed.family === 4) return !SPECIAL_V4.some((cidr) => inCidr(ip, cidr))
  if (SPECIAL_V6.some((cidr) => inCidr(ip, cidr))) return false
  if (EMBEDS_V4.some((cidr) => inCidr(ip, cidr))) {
    const v4 = parsed.bits & 0xffffffffn
    return isPublicAddress([24n, 16n, 8n, 0n].map((s) => String((v4 >> s) & 0xffn)).join('.'))
  }
  if (inCidr(ip, '2002::/16')) {
    const v4 = (parsed.bits >> 80n) & 0xffffffffn
    return isPublicAddress([24n, 16n, 8n, 0n].map((s) => String((v4 >> s) & 0xffn)).join('.'))
  }
  return true
}

/** Whether the panel may connect to `ip`: public, or within the admin's allow list. */
export function addressAllowed(ip: string, allow: readonly string[]): boolean {
  return allow.some((cidr) => inCidr(ip, cidr)) || isPublicAddress(ip)
}

/** Resolves `host` once and returns the address to connect to, or throws OutboundError. */
export async function resolveOutbound(
  host: string,
  allow: readonly string[],
): Promise<{ address: string; family: 4 | 6 }> {
  const bare = host.replace(/^\[|\]$/g, '')
  let candidates: { address: string; family: number }[]
  if (isIP(bare)) {
    candidates = [{ address: bare, family: isIP(bare) }]
  } else {
    try {
      candidates = await lookup(bare, { all: true, verbatim: true })
    } catch {
      throw new OutboundError(`the host ${host} could not be resolved`)
    }
  }
  const chosen = candidates.find((c) => addressAllowed(c.address, allow))
  if (!chosen) {
    throw new OutboundError(
      `the host ${host} resolves to a private, loopback or reserved address; an admin may allow it with UNIPANEL_OUTBOUND_ALLOW`,
    )
  }
  return { address: chosen.address, family: chosen.family === 6 ? 6 : 4 }
}

export type OutboundResponse = { status: number; headers: Headers; text: string }

export type OutboundOptions = {
  allow: readonly string[]
  timeoutMs?: number
  /** Largest answer body kept, in bytes (the rest is dropped). */
  maxBytes?: number
  /** Extra CA certificates (PEM) to trust, e.g. a test's own CA. */
  ca?: string
}

/**
 * A bounded HTTP(S) request to the resolved address of `url`'s host, sending the
 * original Host header and TLS server name. A redirect is an error, not followed.
 */
export async function outboundFetch(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string },
  options: OutboundOptions,
): Promise<OutboundResponse> {
  let target: URL
  try {
    target = new URL(url)
  } catch {
    throw new OutboundError('the URL is not valid')
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:')
    throw new OutboundError('only http:// and https:// URLs may be called')
  if (target.username || target.password) throw new OutboundError('the URL must not hold user information')
  const hostname = target.hostname.replace(/^\[|\]$/g, '')
  const { address, family } = await resolveOutbound(hostname, options.allow)
  const pinned = new URL(target.toString())
  pinned.hostname = family === 6 ? `[${address}]` : address
  const headers: Record<string, string> = { 'user-agent': 'unipanel', ...init.headers, host: target.host }
  let response: Response
  try {
    response = await fetch(pinned.toString(), {
      method: init.method ?? 'GET',
      headers,
      body: init.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      ...(target.protocol === 'https:' && !isIP(hostname)
        ? {
            tls: {
              serverName: hostname,
              ...(options.ca ? { ca: options.ca } : {}),
              checkServerIdentity: (_: string, cert: Parameters<typeof checkServerIdentity>[1]) =>
                checkServerIdentity(hostname, cert),
            },
          }
        : options.ca
          ? { tls: { ca: options.ca } }
          : {}),
    })
  } catch (err) {
    const name = (err as Error).name
    if (name === 'TimeoutError' || name === 'AbortError')
      throw new OutboundError(`${target.host} did not answer in time`)
    throw new OutboundError(`${target.host} could not be reached: ${(err as Error).message}`)
  }
  if (response.status >= 300 && response.status < 400) {
    await response.body?.cancel()
    throw new OutboundError(
      `${target.host} answered with a redirect (${response.status}), which is not followed`,
    )
  }
  return {
    status: response.status,
    headers: response.headers,
    text: await readBounded(response, options.maxBytes),
  }
}

async function readBounded(response: Response, maxBytes = 64 * 1024): Promise<string> {
  if (!response.body) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  while (size < maxBytes) {
    const { done, value } = await reader.read()
    if (done) break
    chunks.push(value)
    size += value.byteLength
  }
  await reader.cancel().catch(() => {})
  return new TextDecoder().decode(Buffer.concat(chunks).subarray(0, maxBytes))
}
