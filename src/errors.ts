// The service's expected failures, each with the HTTP status it maps to (src/http/error-handler.ts).
// Services throw these; they never import Fastify.

export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends AppError {
  constructor(message: string) {
    super(400, message);
  }
}

/** A password check failed where the owner is already logged in (it counts like a failed log-in). */
export class WrongPasswordError extends ValidationError {}

export class UnauthorizedError extends AppError {
  constructor(message = 'Authentication required') {
    super(401, message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message: string) {
    super(403, message);
  }
}

export class NotFoundError extends AppError {
  constructor(message = 'Not found') {
    super(404, message);
  }
}

export class ConflictError extends AppError {
  constructor(message: string) {
    super(409, message);
  }
}

/** A limit holds for a while: 429, with Retry-After set from retryAfterSeconds by the error handler. */
export class TooManyRequestsError extends AppError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(429, message);
  }
}

/** An owner at one of their per-account limits (src/domain/quotas.ts): 403, with the way on in the message. */
export class QuotaExceededError extends AppError {
  constructor(message: string) {
    super(403, message);
  }
}
