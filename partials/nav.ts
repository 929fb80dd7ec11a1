/**
 * The menu: each area's manifest entry (label, order, who sees it, search keywords),
 * in the style of Cockpit's area manifests.
 */
import type { Role } from '../src/areas/users/repository.ts'
import type { IconName } from './icons.tsx'

export type NavEntry = {
  href: string
  label: string
  icon: IconName
  roles: readonly Role[]
  keywords: string
}

const ALL: readonly Role[] = ['admin', 'reseller', 'user']

export const NAV: readonly NavEntry[] = [
  { href: '/', label: 'Dashboard', icon: 'dashboard', roles: ALL, keywords: 'home overview status' },
  {
    href: '/servers',
    label: 'Servers',
    icon: 'servers',
    roles: ['admin'],
    keywords: 'hosts fleet metrics ssh',
  },
  {
    href: '/alerts',
    label: 'Alerts',
    icon: 'alerts',
    roles: ['admin'],
    keywords: 'alerts rules thresholds notifications telegram webhook email',
  },
  {
    href: '/websites',
    label: 'Websites',
    icon: 'websites',
    roles: ALL,
    keywords: 'sites nginx php proxy tls',
  },
  {
    href: '/databases',
    label: 'Databases',
    icon: 'databases',
    roles: ALL,
    keywords: 'mariadb mysql postgresql',
  },
  { href: '/dns', label: 'DNS', icon: 'dns', roles: ALL, keywords: 'zones records powerdns bind' },
  {
    href: '/users',
    label: 'Users',
    icon: 'users',
    roles: ['admin', 'reseller'],
    keywords: 'accounts resellers packages',
  },
  { href: '/jobs', label: 'Jobs', icon: 'jobs', roles: ALL, keywords: 'ansible tasks log' },
  { href: '/audit', label: 'Audit', icon: 'audit', roles: ALL, keywords: 'history log changes' },
  {
    href: '/account',
    label: 'Account',
    icon: 'account',
    roles: ALL,
    keywords: 'profile password 2fa tokens',
  },
]
