/**
 * A small SMTP client for alert mail: EHLO, STARTTLS or implicit TLS, AUTH PLAIN, one
 * plain-text message. It connects to the address the outbound rules resolved (never
 * a second lookup) and checks the TLS certificate against the configured host name.
 *
 * @example
 *   await sendMail({ host: 'smtp.example.com', port: 587, security: 'starttls', username, password,
 *     from: 'panel@example.com', to: ['ops@example.com'], subject: 'CPU high', text: '…' },
 *     { allow: deps.config.outboundAllow })
 */
import { randomUUID } from 'node:crypto'
import { connect as netConnect, type Socket } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import { resolveOutbound } from '../../lib/outbound.ts'

export type MailServer = {
  host: string
  port: number
  security: 'starttls' | 'tls' | 'none'
  username?: string | null
  password?: string | null
}

export type Mail = { from: string; to: string[]; subject: string; text: string }

export class SmtpError extends Error {}

type Reply = { code: number; text: string }

/** Reads SMTP replies (possibly multi-line "250-…" then "250 …") from a socket. */
class ReplyReader {
  private buffer = ''
  private waiting: ((reply: Reply) => void) | null = null
  private failed: ((err: Error) => void) | null = null
  private lines: string[] = []
  private replies: Reply[] = []
  private error: Error | null = null

  constructor(private socket: Socket) {
    this.attach(socket)
  }

  attach(socket: Socket) {
    this.socket = socket
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => this.push(chunk))
    socket.on('error', (err) => this.fail(err))
    socket.on('close', () => this.fail(new SmtpError('the mail server closed the connection')))
  }

  private push(chunk: string) {
    this.buffer += chunk
    if (this.buffer.length > 64 * 1024) return this.fail(new SmtpError('the mail server sent too much'))
    let newline = this.buffer.indexOf('\n')
    while (newline >= 0) {
      const line = this.buffer.slice(0, newline).replace(/\r$/, '')
      this.buffer = this.buffer.slice(newline + 1)
      this.lines.push(line)
      if (/^\d{3} /.test(line) || /^\d{3}$/.test(line)) {
        this.replies.push({
          code: Number(line.slice(0, 3)),
          text: this.lines.map((l) => l.slice(4)).join('\n'),
        })
        this.lines = []
      }
      newline = this.buffer.indexOf('\n')
    }
    this.deliver()
  }

  private fail(err: Error) {
    this.error ??= err
    this.deliver()
  }

  private deliver() {
    if (this.waiting && this.replies.length > 0) {
      const resolve = this.waiting
      this.waiting = null
      this.failed = null
      resolve(this.replies.shift()!)
    } else if (this.failed && this.error) {
      const reject = this.failed
      this.waiting = null
      this.failed = null
      reject(this.error)
    }
  }

  next(): Promise<Reply> {
    return new Promise((resolve, reject) => {
      this.waiting = resolve
      this.failed = reject
      this.deliver()
    })
  }

  /** Sends a command (or nothing) and expects a reply code in `ok`. */
  async command(line: string | null, ok: number[], what: string): Promise<Reply> {
    if (line !== null) this.socket.write(`${line}\r\n`)
    const reply = await this.next()
    if (!ok.includes(reply.code)) {
      throw new SmtpError(`the mail server refused ${what}: ${reply.code} ${reply.text.split('\n')[0]}`)
    }
    return reply
  }
}

function encodeHeader(text: string): string {
  const clean = text.replace(/[\r\n]+/g, ' ')
  return /^[\x20-\x7e]*$/.test(clean) ? clean : `=?UTF-8?B?${Buffer.from(clean).toString('base64')}?=`
}

function checkAddress(address: string): string {
  if (!/^[^\s<>@"\\,;:]+@[^\s<>@"\\,;:]+$/.test(address))
    throw new SmtpError(`${address} is not a mail address`)
  return address
}

/** The message as sent after DATA: headers, blank line, dot-stuffed body, final dot. */
export function formatMessage(mail: Mail, now = new Date()): string {
  const domain = mail.from.split('@')[1] ?? 'localhost'
  const headers = [
    `From: ${checkAddress(mail.from)}`,
    `To: ${mail.to.map(checkAddress).join(', ')}`,
    `Subject: ${encodeHeader(mail.subject)}`,
    `Date: ${now.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${randomUUID()}@${domain}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
  ]
  const body = mail.text
    .replace(/\r?\n/g, '\r\n')
    .split('\r\n')
    .map((line) => (line.startsWith('.') ? `.${line}` : line))
    .join('\r\n')
  return `${headers.join('\r\n')}\r\n\r\n${body}\r\n.`
}

function open(address: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: address, port })
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new SmtpError('the mail server did not answer in time'))
    }, timeoutMs)
    socket.once('connect', () => {
      clearTimeout(timer)
      resolve(socket)
    })
    socket.once('error', (err) => {
      clearTimeout(timer)
      reject(new SmtpError(`the mail server could not be reached: ${err.message}`))
    })
  })
}

function secure(
  socket: Socket | null,
  address: string,
  port: number,
  host: string,
  ca?: string,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const secured = tlsConnect({
      ...(socket ? { socket } : { host: address, port }),
      servername: host,
      ...(ca ? { ca } : {}),
    })
    secured.once('secureConnect', () => resolve(secured))
    secured.once('error', (err) => reject(new SmtpError(`TLS with the mail server failed: ${err.message}`)))
  })
}

export async function sendMail(
  server: MailServer,
  mail: Mail,
  options: { allow: readonly string[]; timeoutMs?: number; ca?: string; heloName?: string },
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 15_000
  const { address } = await resolveOutbound(server.host, options.allow)
  const helo = options.heloName ?? 'unipanel'
  let socket =
    server.security === 'tls'
      ? await secure(null, address, server.port, server.host, options.ca)
      : await open(address, server.port, timeoutMs)
  const deadline = setTimeout(
    () => socket.destroy(new SmtpError('the mail server did not answer in time')),
    timeoutMs,
  )
  try {
    let reader = new ReplyReader(socket)
    await reader.command(null, [220], 'the connection')
    let ehlo = await reader.command(`EHLO ${helo}`, [250], 'EHLO')
    if (server.security === 'starttls') {
      if (!/^STARTTLS\b/im.test(ehlo.text)) throw new SmtpError('the mail server does not offer STARTTLS')
      await reader.command('STARTTLS', [220], 'STARTTLS')
      socket.removeAllListeners('data')
      socket.removeAllListeners('close')
      socket.removeAllListeners('error')
      socket = await secure(socket, address, server.port, server.host, options.ca)
      reader = new ReplyReader(socket)
      ehlo = await reader.command(`EHLO ${helo}`, [250], 'EHLO')
    }
    if (server.username) {
      if (server.security === 'none') throw new SmtpError('refusing to send a password without TLS')
      const plain = Buffer.from(`\0${server.username}\0${server.password ?? ''}`).toString('base64')
      await reader.command(`AUTH PLAIN ${plain}`, [235], 'the user name or password')
    }
    await reader.command(`MAIL FROM:<${checkAddress(mail.from)}>`, [250], 'the sender')
    for (const to of mail.to)
      await reader.command(`RCPT TO:<${checkAddress(to)}>`, [250, 251], `the recipient ${to}`)
    await reader.command('DATA', [354], 'DATA')
    await reader.command(formatMessage(mail), [250], 'the message')
    await reader.command('QUIT', [221], 'QUIT').catch(() => undefined)
  } finally {
    clearTimeout(deadline)
    socket.destroy()
  }
}
