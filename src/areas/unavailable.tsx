/** @jsxImportSource @kitajs/html */
/** Areas whose management arrives in a later version answer with an honest page, not a fake one. */
import { Hono } from 'hono'
import { EmptyState, PageHeader } from '../../partials/ui.tsx'
import type { AppEnv } from '../lib/env.ts'
import { page } from '../lib/render.tsx'

export function unavailableArea(title: string, description: string) {
  const area = new Hono<AppEnv>()
  area.get('/', (c) =>
    page(
      c,
      title,
      <>
        <PageHeader title={title} description={description} />
        <EmptyState title={`${title} cannot be managed in this version yet.`}>
          <p>Nothing here changes your servers. Follow the project's issues for when it arrives.</p>
        </EmptyState>
      </>,
    ),
  )
  return area
}
