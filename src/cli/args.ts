/** Shared CLI plumbing: usage errors (exit 2), operation errors (exit 1), stdin passwords. */
import type { ParseArgsConfig } from 'node:util'

export class UsageError extends Error {}
export class OperationError extends Error {}

/** parseArgs with strict checking; unknown flags become a UsageError naming the command. */
export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  argv: string[],
  options: T,
) {
  // Loaded on first use: node:util costs the agent (which parses its own flags) about 4 MB.
  const { parseArgs } = require('node:util') as typeof import('node:util')
  try {
    return parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    })
  } catch (err) {
    throw new UsageError(`${command}: ${(err as Error).message.split('\n')[0]}`)
  }
}

export async function readPasswordFromStdin(): Promise<string> {
  const text = await new Response(Bun.stdin.stream()).text()
  const value = text.replace(/\r?\n$/, '')
  if (!value) throw new UsageError('--password-stdin: nothing was read from standard input')
  return value
}

/** A zod result as one line for the terminal. */
export function firstIssue(name: string, error: { issues: { message: string }[] }): string {
  return `${name} ${error.issues[0]?.message ?? 'is invalid'}`
}
