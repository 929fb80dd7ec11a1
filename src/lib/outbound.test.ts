import { afterAll, describe, expect, test } from 'bun:test'
import { hasTool, localhostCertificate } from '../../tests/helpers.ts'
import { addressAllowed, inCidr, isPublicAddress, OutboundError, outboundFetch } from './outbound.ts'

const LOOPBACK = ['127.0.0.0/8', '::1/128']
const seen: { host: string | null; path: string }[] = []
const server = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  fetch(req) {
    const url = new URL(req.url)
    seen.push({ host: req.headers.get('host'), path: url.pathname })
    if (url.pathname === '/redirect') return Response.redirect('http://127.0.0.1:1/elsewhere', 302)
    if (url.pathname === '/slow') return Bun.sleep(2000).then(() => new Response('late'))
    if (url.pathname === '/big') return new Response('x'.repeat(200_000))
    return new Response(`hello ${req.method}`)
  },
})
afterAll(() => server.stop(true))
const base = `http://127.0.0.1:${server.port}`

describe('address ranges', () => {
  test('private, loopback, link-local and reserved addresses are not public', () => {
    for (const ip of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fe80::1',
      'fc00::1',
      'fd12:3456::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      '64:ff9b::a00:1',
      '2002:a00:1::1',
      'ff02::1',
    ]) {
      expect({ ip, public: isPublicAddress(ip) }).toEqual({ ip, public: false })
    }
    for (const ip of ['1.1.1.1', '8.8.8.8', '172.32.0.1', '2606:4700::1111', '::ffff:8.8.8.8']) {
      expect({ ip, public: isPublicAddress(ip) }).toEqual({ ip, public: true })
    }
  })

  test('CIDR matching for both families', () => {
    expect(inCidr('10.9.8.7', '10.0.0.0/8')).toBe(true)
    expect(inCidr('11.0.0.1', '10.0.0.0/8')).toBe(false)
    expect(inCidr('::1', '::1/128')).toBe(true)
    expect(inCidr('2001:db8::5', '2001:db8::/32')).toBe(true)
    expect(inCidr('2001:db9::5', '2001:db8::/32')).toBe(false)
    expect(inCidr('127.0.0.1', '::1/128')).toBe(false)
    expect(addressAllowed('127.0.0.1', [])).toBe(false)
    expect(addressAllowed('127.0.0.1', ['127.0.0.1/32'])).toBe(true)
  })
})

describe('outboundFetch', () => {
  test('refuses loopback unless it is allowed', async () => {
    const before = seen.length
    await expect(outboundFetch(`${base}/x`, {}, { allow: [] })).rejects.toThrow(/UNIPANEL_OUTBOUND_ALLOW/)
    await expect(outboundFetch(`http://localhost:${server.port}/x`, {}, { allow: [] })).rejects.toThrow(
      OutboundError,
    )
    expect(seen.length).toBe(before)
    const res = await outboundFetch(`${base}/x`, { method: 'POST', body: 'b' }, { allow: LOOPBACK })
    expect(res.status).toBe(200)
    expect(res.text).toBe('hello POST')
  })

  test('connects to the address it resolved and sends the original Host', async () => {
    const res = await outboundFetch(`http://localhost:${server.port}/named`, {}, { allow: ['127.0.0.0/8'] })
    expect(res.status).toBe(200)
    expect(seen.at(-1)).toEqual({ host: `localhost:${server.port}`, path: '/named' })
  })

  test('does not follow redirects', async () => {
    const before = seen.length
    await expect(outboundFetch(`${base}/redirect`, {}, { allow: LOOPBACK })).rejects.toThrow(/redirect/)
    expect(seen.slice(before).map((s) => s.path)).toEqual(['/redirect'])
  })

  test('refuses other schemes and user information', async () => {
    await expect(outboundFetch('file:///etc/passwd', {}, { allow: LOOPBACK })).rejects.toThrow(/http/)
    await expect(
      outboundFetch(`http://u:p@127.0.0.1:${server.port}/`, {}, { allow: LOOPBACK }),
    ).rejects.toThrow(/user information/)
  })

  test('gives up after its timeout and bounds the body', async () => {
    await expect(outboundFetch(`${base}/slow`, {}, { allow: LOOPBACK, timeoutMs: 200 })).rejects.toThrow(
      /in time/,
    )
    const big = await outboundFetch(`${base}/big`, {}, { allow: LOOPBACK, maxBytes: 1000 })
    expect(big.text.length).toBe(1000)
  })

  test('checks the TLS certificate against the host name, not the pinned address', async () => {
    if (!hasTool('openssl')) return
    const { cert, key } = await localhostCertificate()
    const tls = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      tls: { cert, key },
      fetch: (req) => new Response(`tls ${req.headers.get('host')}`),
    })
    try {
      const ok = await outboundFetch(`https://localhost:${tls.port}/`, {}, { allow: LOOPBACK, ca: cert })
      expect(ok.text).toBe(`tls localhost:${tls.port}`)
      // The certificate does not name 127.0.0.1: asking by address must fail verification.
      await expect(
        outboundFetch(`https://127.0.0.1:${tls.port}/`, {}, { allow: LOOPBACK, ca: cert }),
      ).rejects.toThrow(OutboundError)
    } finally {
      tls.stop(true)
    }
  })
})
