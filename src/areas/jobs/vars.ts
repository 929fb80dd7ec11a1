/**
 * The vars file a job hands to `ansible-playbook -e @file`: YAML written by hand so
 * that every string, key or value, at any depth, carries Ansible's `!unsafe` tag.
 * Ansible templates `{{ … }}` in extra vars, JSON ones included, so a website name
 * like `{{ lookup('pipe', 'id') }}` would run on the panel's host; `!unsafe` makes it
 * plain text for the whole play (SECURITY.md, Semaphore's extra-vars injection).
 *
 * @example
 *   writeFileSync(path, unsafeVarsYaml({ domain: 'example.com', aliases: ['www.example.com'] }), { mode: 0o600 })
 */

/** Top-level names become Ansible variables, so they must be valid variable names. */
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * A YAML double-quoted scalar. Escapes what JSON escapes plus what YAML 1.1 (PyYAML)
 * refuses to read raw: C1 controls, DEL, lone surrogates, U+FFFE/U+FFFF, and the
 * line and paragraph separators YAML would treat as line breaks.
 */
export function yamlQuoted(value: string): string {
  let out = '"'
  for (const char of value) {
    const code = char.codePointAt(0)!
    if (char === '"') out += '\\"'
    else if (char === '\\') out += '\\\\'
    else if (char === '\n') out += '\\n'
    else if (char === '\r') out += '\\r'
    else if (char === '\t') out += '\\t'
    else if (
      code < 0x20 ||
      (code >= 0x7f && code <= 0x9f) ||
      code === 0x2028 ||
      code === 0x2029 ||
      code === 0xfeff ||
      code === 0xfffe ||
      code === 0xffff
    )
      out += `\\u${code.toString(16).padStart(4, '0')}`
    else if (code >= 0xd800 && code <= 0xdfff) out += '\\ufffd'
    else out += char
  }
  return `${out}"`
}

const unsafeString = (value: string) => `!unsafe ${yamlQuoted(value)}`

/** One value in YAML flow style; strings tagged `!unsafe`, numbers and booleans plain. */
export function unsafeValue(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  if (typeof value === 'string') return unsafeString(value)
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('a job variable is not a finite number')
    return String(value)
  }
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Date) return unsafeString(value.toISOString())
  if (Array.isArray(value)) return `[${value.map(unsafeValue).join(', ')}]`
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined)
    return `{${entries.map(([k, v]) => `${unsafeString(k)}: ${unsafeValue(v)}`).join(', ')}}`
  }
  throw new TypeError(`a job variable has an unsupported type (${typeof value})`)
}

/** The whole vars file: one `name: value` line per top-level variable. */
export function unsafeVarsYaml(vars: Record<string, unknown>): string {
  const lines = ['# Written by the Unipanel job runner; every string is !unsafe (never templated).']
  for (const [name, value] of Object.entries(vars)) {
    if (value === undefined) continue
    if (!VARIABLE_NAME.test(name)) throw new TypeError(`${JSON.stringify(name)} is not a valid variable name`)
    lines.push(`${name}: ${unsafeValue(value)}`)
  }
  return `${lines.join('\n')}\n`
}
