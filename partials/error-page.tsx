/** @jsxImportSource @kitajs/html */
/** What a person sees for 404, 405, 403 and 500: a sentence they can act on. */
import { Alert } from './ui.tsx'

const HEADINGS: Record<number, string> = {
  400: 'Bad request',
  401: 'Sign in first',
  403: 'Not allowed',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict',
  413: 'Too large',
  422: 'Check the form',
  429: 'Slow down',
  500: 'Something went wrong',
  503: 'Unavailable',
}

export function ErrorPanel(props: { status: number; message: string; requestId?: string }) {
  return (
    <div class="mx-auto max-w-lg py-12">
      <p class="text-sm font-medium text-muted" safe>
        {`Error ${props.status}`}
      </p>
      <h1 class="mb-4 text-2xl font-semibold" safe>
        {HEADINGS[props.status] ?? 'Error'}
      </h1>
      <Alert kind="error">
        <span safe>{props.message}</span>
      </Alert>
      {props.requestId ? (
        <p class="mt-4 text-xs text-muted" safe>
          {`Request id ${props.requestId}`}
        </p>
      ) : (
        ''
      )}
      <p class="mt-6">
        <a href="/" class="link">
          Back to the dashboard
        </a>
      </p>
    </div>
  )
}
