/**
 * A small SMTP server on loopback for the tests: greeting, EHLO (with STARTTLS when
 * given a certificate, and AUTH PLAIN), MAIL, RCPT, DATA with dot-unstuffing, QUIT.
 * It keeps each message it accepted and the user it authenticated.
 */
import { createServer, type Socket } from 'node:net'
import { TLSSocket } from 'node:tls'

export type Received = { from: string; to: string[]; data: string; user: string | null; tls: boolean }

export async function startSmtpServer(options: { cert?: string; key?: string; password?: string } = {}) {
  const received: Received[] = []
  const server = createServer((raw) => {
    let socket: Socket = raw
    let buffer = ''
    let mode: 'command' | 'data' = 'command'
    let from = ''
    let to: string[] = []
    let data: string[] = []
    let user: string | null = null
    let tls = false
    const reply = (line: string) => socket.write(`${line}\r\n`)

    const onLine = (line: string) => {
      if (mode === 'data') {
        if (line === '.') {
          mode = 'command'
          received.push({ from, to, data: data.join('\r\n'), user, tls })
          reply('250 2.0.0 queued')
          return
        }
        data.push(line.startsWith('..') ? line.slice(1) : line)
        return
      }
      const [verb = '', ...rest] = line.split(' ')
      const arg = rest.join(' ')
      switch (verb.toUpperCase()) {
        case 'EHLO':
          socket.write(
            `250-loopback.test greets ${arg}\r\n${options.cert && !tls ? '250-STARTTLS\r\n' : ''}250-8BITMIME\r\n250 AUTH PLAIN\r\n`,
          )
          return
        case 'STARTTLS': {
          reply('220 2.0.0 ready for TLS')
          socket.removeAllListeners('data')
          const secured = new TLSSocket(socket, { isServer: true, cert: options.cert, key: options.key })
          socket = secured
          tls = true
          buffer = ''
          secured.on('data', onData)
          return
        }
        case 'AUTH': {
          const [, payload = ''] = arg.split(' ')
          const [, name, password] = Buffer.from(payload, 'base64').toString().split('\0')
          if (options.password !== undefined && password !== options.password)
            return reply('535 5.7.8 bad credentials')
          user = name ?? null
          return reply('235 2.7.0 authenticated')
        }
        case 'MAIL':
          from = /<([^>]*)>/.exec(arg)?.[1] ?? ''
          to = []
          return reply('250 2.1.0 ok')
        case 'RCPT':
          to.push(/<([^>]*)>/.exec(arg)?.[1] ?? '')
          return reply('250 2.1.5 ok')
        case 'DATA':
          mode = 'data'
          data = []
          return reply('354 end with <CRLF>.<CRLF>')
        case 'QUIT':
          reply('221 2.0.0 bye')
          socket.end()
          return
        default:
          return reply('502 5.5.2 unknown command')
      }
    }

    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('utf8')
      let at = buffer.indexOf('\r\n')
      while (at >= 0) {
        const line = buffer.slice(0, at)
        buffer = buffer.slice(at + 2)
        onLine(line)
        at = buffer.indexOf('\r\n')
      }
    }
    socket.on('data', onData)
    socket.on('error', () => {})
    reply('220 loopback.test ESMTP ready')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return { port, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
}
