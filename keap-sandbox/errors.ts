// Keap answers errors with the spec's `Error` schema: {code, message, status, details?}. `status` carries a
// Google-style canonical code name (Keap v2 is a gRPC-transcoded API), `code` the HTTP status.

export interface ErrorDetail {
  domain?: string;
  resource?: string;
}

export interface KeapErrorBody {
  code: number;
  message: string;
  status: string;
  details?: ErrorDetail[];
}

const STATUS_NAMES: Readonly<Record<number, string>> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'ALREADY_EXISTS',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  502: 'BAD_GATEWAY',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

export function statusName(httpStatus: number): string {
  return STATUS_NAMES[httpStatus] ?? (httpStatus >= 500 ? 'INTERNAL' : 'UNKNOWN');
}

export function errorBody(httpStatus: number, message: string, details?: ErrorDetail[]): KeapErrorBody {
  const body: KeapErrorBody = { code: httpStatus, message, status: statusName(httpStatus) };
  if (details && details.length > 0) body.details = details;
  return body;
}

/** Thrown by operation handlers; the server turns it into an `Error` response. Nothing is committed before a throw. */
export class KeapError extends Error {
  constructor(
    readonly httpStatus: number,
    message: string,
    readonly details?: ErrorDetail[],
  ) {
    super(message);
    this.name = 'KeapError';
  }

  toBody(): KeapErrorBody {
    return errorBody(this.httpStatus, this.message, this.details);
  }
}

export const badRequest = (message: string, details?: ErrorDetail[]): KeapError => new KeapError(400, message, details);
export const notFound = (resource: string, id: string): KeapError =>
  new KeapError(404, `${resource} with id ${id} not found`, [{ domain: resource.toLowerCase(), resource: id }]);
