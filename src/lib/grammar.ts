/**
 * The input grammars of SECURITY.md, as zod schemas shared by the UI, the API and
 * the CLI. Anything that reaches a config file, a playbook or a shell argument is
 * checked here before it is stored.
 */
import { domainToASCII } from 'node:url'
import { z } from 'zod'

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/

/** Plain one-line text: no control characters (so no NUL, CR or LF), bounded length. */
export const line = (max = 200) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .refine((v) => !CONTROL.test(v), 'must not contain control characters or line breaks')

export const RESERVED_IDENTIFIERS = new Set([
  'root',
  'daemon',
  'bin',
  'sys',
  'sync',
  'games',
  'man',
  'lp',
  'mail',
  'news',
  'uucp',
  'proxy',
  'www-data',
  'www_data',
  'backup',
  'list',
  'irc',
  'gnats',
  'nobody',
  'systemd',
  'messagebus',
  'sshd',
  'mysql',
  'mariadb',
  'postgres',
  'postgresql',
  'nginx',
  'apache',
  'admin',
  'administrator',
  'pdns',
  'bind',
  'named',
  'unipanel',
  'information_schema',
  'performance_schema',
  'sys',
  'template0',
  'template1',
  'test',
  'php',
  'ftp',
  'operator',
])

/** System users, database names and users: `^[a-z][a-z0-9_]{0,31}$`, not reserved. */
export const identifier = z
  .string()
  .regex(
    /^[a-z][a-z0-9_]{0,31}$/,
    'must start with a lowercase letter and hold only a-z, 0-9 and _ (at most 32)',
  )
  .refine((v) => !RESERVED_IDENTIFIERS.has(v), 'is a reserved name')

/** Panel user names: the identifier grammar plus dots and hyphens inside, never reserved. */
export const username = z
  .string()
  .min(2, 'must be at least 2 characters')
  .max(32, 'must be at most 32 characters')
  .regex(/^[a-z][a-z0-9._-]*$/, 'must start with a lowercase letter and hold only a-z, 0-9, . _ -')
  .refine((v) => !RESERVED_IDENTIFIERS.has(v) || v === 'admin', 'is a reserved name')

export const email = z
  .string()
  .max(254, 'must be at most 254 characters')
  .regex(/^[^\s@<>"'\\]+@[^\s@<>"'\\]+\.[^\s@<>"'\\]+$/, 'is not an email address')

export const password = z
  .string()
  .min(10, 'must be at least 10 characters')
  .max(256, 'must be at most 256 characters')
  .refine((v) => !v.includes('\0'), 'must not contain a NUL byte')

/** Explains why a name is not a valid domain, or returns null when it is. */
export function domainProblem(ascii: string, allowWildcard = false): string | null {
  if (ascii.length > 253) return `the domain ${ascii} is longer than 253 characters`
  const labels = ascii.split('.')
  if (labels.length < 2) return `the domain ${ascii} needs at least two labels, such as example.com`
  for (const [i, label] of labels.entries()) {
    if (label === '') return `the domain ${ascii} has an empty label`
    if (label === '*' && i === 0 && allowWildcard) continue
    if (label.length > 63) return `the label ${label.slice(0, 20)}… is longer than 63 characters`
    if (!/^[a-z0-9-]+$/.test(label)) return `the label ${label} may hold only a-z, 0-9 and -`
    if (label.startsWith('-') || label.endsWith('-')) return `the label ${label} starts or ends with a hyphen`
  }
  return null
}

/** A domain: lowercased, Unicode converted to punycode once, LDH labels. */
export const domain = z
  .string()
  .max(253, 'must be at most 253 characters')
  .transform((value, ctx) => {
    const lowered = value.trim().toLowerCase().replace(/\.$/, '')
    if (CONTROL.test(value) || /[\s/\\:@]/.test(lowered)) {
      ctx.addIssue({
        code: 'custom',
        message: `the domain ${JSON.stringify(value)} holds characters a domain cannot have`,
      })
      return z.NEVER
    }
    // biome-ignore lint/suspicious/noControlCharactersInRegex: an ASCII range test
    const ascii = /^[\x00-\x7f]*$/.test(lowered) ? lowered : domainToASCII(lowered)
    const problem = ascii ? domainProblem(ascii) : `the domain ${lowered} cannot be converted to punycode`
    if (problem) {
      ctx.addIssue({ code: 'custom', message: problem })
      return z.NEVER
    }
    return ascii
  })

/** A host to reach over SSH: a domain, an IPv4 or an IPv6 address; never starts with '-'. */
export const host = z
  .string()
  .min(1, 'is required')
  .max(253, 'must be at most 253 characters')
  .refine((v) => !v.startsWith('-'), 'must not start with -')
  .refine(
    (v) => /^[A-Za-z0-9.-]+$/.test(v) || /^[0-9a-fA-F:]+$/.test(v),
    'must be a host name or an IP address',
  )

/** http(s) URL with no user information and no control characters. */
export const httpUrl = z
  .string()
  .max(2048, 'must be at most 2048 characters')
  .refine((v) => !CONTROL.test(v) && !/\s/.test(v), 'must not contain spaces or control characters')
  .refine((v) => {
    try {
      const u = new URL(v)
      return (u.protocol === 'http:' || u.protocol === 'https:') && !u.username && !u.password && !!u.hostname
    } catch {
      return false
    }
  }, 'must be an http:// or https:// URL without user information')
