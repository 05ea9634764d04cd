/** A failed call, with a code the renderer can act on and a sentence it shows as is. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(readonly code: string, message: string, readonly status = 400) {
    super(message);
  }
}

/** Any thrown value as the { code, message } both transports send back. */
export function toProblem(error: unknown): { code: string; message: string; status: number } {
  if (error instanceof ApiError) return { code: error.code, message: error.message, status: error.status };
  const code = error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : 'internal';
  const message = error instanceof Error ? error.message : String(error);
  return { code, message: code === 'internal' ? `Something went wrong in the backend: ${message}` : message, status: 500 };
}
