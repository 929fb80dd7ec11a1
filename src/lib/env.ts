/** The Hono environment every route shares: what the middleware puts on the context. */

import type { Actor } from '../areas/audit/record.ts'
import type { User } from '../areas/users/repository.ts'
import type { ApiToken } from '../auth/api-tokens.ts'
import type { Session } from '../auth/sessions.ts'
import type { Deps } from '../deps.ts'

export type AppEnv = {
  Variables: {
    deps: Deps
    requestId: string
    /** The client address, from the socket (or X-Forwarded-For from a trusted proxy). */
    ip: string
    user: User | null
    session: Session | null
    apiToken: ApiToken | null
  }
}

/** The actor for audit rows, from whoever is signed in on this request. */
export function actorOf(vars: { user: User | null; apiToken: ApiToken | null; ip: string }): Actor {
  return {
    userId: vars.user?.id ?? null,
    tokenId: vars.apiToken?.id ?? null,
    name: vars.user?.username ?? 'anonymous',
    ip: vars.ip,
  }
}
