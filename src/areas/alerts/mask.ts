/**
 * Masks private data in alert messages, which leave the panel for Telegram chats, mail
 * boxes and webhooks: IP addresses are replaced outright and domain names keep only the
 * first two letters of each label but the last (example.com → ex*****.com).
 *
 * @example
 *   maskPrivate('web1.example.com at 203.0.113.9') // 'we**.ex*****.com at [address hidden]'
 */
import { isIP } from 'node:net'

/** Anything shaped like an address; isIP() decides (so a time such as 01:58:50 stays). */
const ADDRESS_LIKE = /\b(?:\d{1,3}\.){3}\d{1,3}\b|[0-9a-f.]*:[0-9a-f.]*:[0-9a-f:.]*/gi
const DOMAIN =
  /(?<![\p{L}\p{N}-])(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.)+(?:\p{L}{2,63}|xn--[a-z0-9-]{1,59})(?![\p{L}\p{N}-])/giu

function maskLabel(label: string): string {
  if (label.length <= 2) return `${label[0]}*`
  return label.slice(0, 2) + '*'.repeat(label.length - 2)
}

export function maskDomain(domain: string): string {
  const labels = domain.split('.')
  const tld = labels.pop()!
  return [...labels.map(maskLabel), tld].join('.')
}

export function maskPrivate(text: string): string {
  return text
    .replace(ADDRESS_LIKE, (m) => (isIP(m) ? '[address hidden]' : m))
    .replace(DOMAIN, (m) => maskDomain(m))
}
