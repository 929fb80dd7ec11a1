/**
 * URLs of static files with a content hash in the query string, so browsers may cache
 * them for a year and still see a new version at once.
 *
 * @example
 *   <link rel="stylesheet" href={assetUrl('app.css')} />   // /static/app.css?v=1a2b3c4d
 */
import { readFileSync } from 'node:fs'
import { resourcePath } from './resources.ts'

const versions = new Map<string, string>()

export function assetUrl(name: string): string {
  let version = versions.get(name)
  if (version === undefined) {
    // Not Bun.file().name: for an embedded file that is only the base name.
    const path = resourcePath(`static/${name}`)
    version = path ? Bun.hash(readFileSync(path)).toString(36).slice(0, 10) : 'missing'
    versions.set(name, version)
  }
  return `/static/${name}?v=${version}`
}
