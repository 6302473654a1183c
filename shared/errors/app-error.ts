/**
 * The one error type the application raises on purpose. Every code maps to exactly one
 * HTTP status in shared/http/problem.ts; anything else that escapes is a bug (500).
 */
export type AppErrorCode =
  | 'validation'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'method-not-allowed'
  | 'conflict'
  | 'not-connected'
  | 'precondition-failed'
  | 'payload-too-large'
  | 'unsupported-media-type'
  | 'dependency-unavailable';

export interface FieldError {
  /** JSON Pointer-like dotted path of the offending field, e.g. `calendar.direction`. */
  path: string;
  message: string;
}

export class AppError extends Error {
  override readonly name = 'AppError';

  readonly fieldErrors: readonly FieldError[];
  /** Response headers the error implies (WWW-Authenticate, Allow, Retry-After). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    readonly code: AppErrorCode,
    message: string,
    options: { fieldErrors?: readonly FieldError[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.fieldErrors = options.fieldErrors ?? [];
    this.headers = options.headers ?? {};
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

export function isAppErrorCode(error: unknown, code: AppErrorCode): error is AppError {
  return isAppError(error) && error.code === code;
}

export const validationError = (detail: string, fieldErrors: readonly FieldError[]): AppError =>
  new AppError('validation', detail, { fieldErrors });

export const notFound = (detail: string): AppError => new AppError('not-found', detail);

export const preconditionFailed = (detail: string): AppError => new AppError('precondition-failed', detail);
