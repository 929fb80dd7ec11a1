/**
 * Builds what static/ needs and git does not hold: the Tailwind CSS and the pinned
 * htmx 4 files copied from node_modules. Run by `start`, `test`, `compile` and `bench`.
 */
import { copyFileSync, mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dir, '..')
const vendor = join(root, 'static/vendor')
mkdirSync(vendor, { recursive: true })
for (const [from, to] of [
  ['node_modules/htmx.org/dist/htmx.min.js', 'htmx.min.js'],
  ['node_modules/htmx.org/dist/ext/hx-sse.min.js', 'hx-sse.min.js'],
] as const) {
  copyFileSync(join(root, from), join(vendor, to))
}

const tailwind = Bun.spawnSync(
  [join(root, 'node_modules/.bin/tailwindcss'), '-i', 'src/styles.css', '-o', 'static/app.css', '--minify'],
  { cwd: root, stdout: 'pipe', stderr: 'pipe' },
)
if (tailwind.exitCode !== 0) {
  process.stderr.write(tailwind.stderr.toString())
  process.exit(1)
}
