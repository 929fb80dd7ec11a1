/**
 * The one small set of error codes every layer shares (domain logic, routes, the
 * API's JSON and the UI's fragments), instead of ad-hoc strings. Domain code throws
 * `AppError`; the app's error handler turns it into the right status and shape.
 *
 * @example
 *   throw new AppError('conflict', 'the package allows 5 websites and you have 5')
 */
export const ERROR_STATUS = {
  invalid: 422,
  'bad-request': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  'method-not-allowed': 405,
  conflict: 409,
  'too-large': 413,
  'too-many': 429,
  timeout: 504,
  unavailable: 503,
  internal: 500,
} as const

export type ErrorCode = keyof typeof ERROR_STATUS

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Field name -> sentence, for 422 answers shown next to the field. */
    readonly fields?: Record<string, string>,
    /** Extra headers, e.g. Retry-After on 429. */
    readonly headers?: Record<string, string>,
  ) {
    super(message)
  }

  get status(): (typeof ERROR_STATUS)[ErrorCode] {
    return ERROR_STATUS[this.code]
  }
}

export const notFound = (what = 'the page') => new AppError('not-found', `${what} was not found`)
export const forbidden = (message = 'your role may not do this') => new AppError('forbidden', message)
