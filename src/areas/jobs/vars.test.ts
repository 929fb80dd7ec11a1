import { describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { hasTool } from '../../../tests/helpers.ts'
import { run } from '../../lib/spawn.ts'
import { unsafeVarsYaml, yamlQuoted } from './vars.ts'

// Ansible's own loader reads the file back: every string must come out as AnsibleUnsafe
// (shown here as {"unsafe": …}), everything else as its plain value.
const LOAD = `
import json, sys
from ansible.parsing.yaml.loader import AnsibleLoader
from ansible.utils.unsafe_proxy import AnsibleUnsafe
def mark(v):
    if isinstance(v, dict): return {('U:' if isinstance(k, AnsibleUnsafe) else 'S:') + k: mark(x) for k, x in v.items()}
    if isinstance(v, list): return [mark(x) for x in v]
    if isinstance(v, str): return {'unsafe': str(v)} if isinstance(v, AnsibleUnsafe) else {'plain': v}
    return v
print(json.dumps(mark(AnsibleLoader(sys.stdin.read()).get_single_data())))
`

/** The python that runs ansible-playbook (its shebang), so the loader is Ansible's own. */
function ansiblePython(): string {
  const path = Bun.which('ansible-playbook')
  const shebang = path ? (readFileSync(path, 'utf8').split('\n')[0] as string) : ''
  return /^#!\s*(\S+python\S*)/.exec(shebang)?.[1] ?? 'python3'
}

async function load(text: string): Promise<unknown> {
  const result = await run([ansiblePython(), '-c', LOAD], { stdin: text })
  if (result.exitCode !== 0) throw new Error(result.stderr)
  return JSON.parse(result.stdout)
}

const HOSTILE = [
  "{{ lookup('pipe','touch /tmp/x') }}",
  '{% for x in range(3) %}{{ x }}{% endfor %}',
  'quote " and \\ backslash and \' apostrophe',
  'line\nbreak\r\nand\ttab',
  'null \u0000 byte and bell \u0007 and escape \u001b[31m',
  'C1 \u0085 NEL and \u009b CSI',
  'separators \u2028 \u2029 and BOM \ufeff',
  'emoji 🚀 and accents é ü',
  '!unsafe inside text',
  '- a: list\n- looking: thing',
  '\'single\' "double"',
  '',
]

describe('the vars file', () => {
  test('every string is tagged !unsafe, keys included, at any depth', () => {
    const text = unsafeVarsYaml({
      a: 'x',
      n: 3,
      b: true,
      z: null,
      list: ['y', 1],
      map: { k: 'v', deep: { k2: ['w'] } },
    })
    const lines = text.split('\n').filter((l) => l && !l.startsWith('#'))
    expect(lines).toEqual([
      'a: !unsafe "x"',
      'n: 3',
      'b: true',
      'z: null',
      'list: [!unsafe "y", 1]',
      'map: {!unsafe "k": !unsafe "v", !unsafe "deep": {!unsafe "k2": [!unsafe "w"]}}',
    ])
  })

  test('refuses names that are not variable names and values it cannot write', () => {
    expect(() => unsafeVarsYaml({ 'bad-name': 'x' })).toThrow('not a valid variable name')
    expect(() => unsafeVarsYaml({ 'a: b\nc': 'x' })).toThrow('not a valid variable name')
    expect(() => unsafeVarsYaml({ n: Number.NaN })).toThrow('finite')
    expect(() => unsafeVarsYaml({ f: () => 1 })).toThrow('unsupported')
  })

  test('quoted strings never hold a raw line break or control character', () => {
    for (const value of HOSTILE) {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the point of the check
      expect(yamlQuoted(value)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]/)
    }
  })

  test.skipIf(!hasTool('ansible-playbook'))(
    'Ansible reads back exactly what was written, every string unsafe',
    async () => {
      const vars = Object.fromEntries(HOSTILE.map((v, i) => [`v${i}`, v]))
      const text = unsafeVarsYaml({ ...vars, n: 7, t: false, nested: { [HOSTILE[0]!]: [HOSTILE[3], 2] } })
      const loaded = (await load(text)) as Record<string, unknown>
      HOSTILE.forEach((value, i) => {
        expect(loaded[`S:v${i}`]).toEqual({ unsafe: value })
      })
      expect(loaded['S:n']).toBe(7)
      expect(loaded['S:t']).toBe(false)
      expect(loaded['S:nested']).toEqual({ [`U:${HOSTILE[0]}`]: [{ unsafe: HOSTILE[3] }, 2] })
    },
  )
})
