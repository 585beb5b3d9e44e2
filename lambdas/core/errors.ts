/**
 * Error classes of the Firebreak domain.
 *
 * Every error has a stable `name` (Step Functions `Retry`/`Catch` and HTTP
 * mappings match on it) and carries its `cause` when it wraps another error.
 */

/** Base class: sets `name` from the subclass and keeps the `cause`. */
export abstract class FirebreakError extends Error {
  protected constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** One problem found in an input, with the location inside it. */
export interface InputIssue {
  /** Where the problem is, e.g. `alerts[0].labels` or `body`. */
  readonly path: string;
  /** What was expected or what is wrong. */
  readonly message: string;
}

/**
 * An inbound payload (webhook body, CLI argument) is not what the source's
 * format allows. Maps to HTTP 400 with `issues` in the body.
 *
 * @example
 * throw new InvalidInputError('Alertmanager webhook', [{ path: 'version', message: 'expected "4"' }]);
 */
export class InvalidInputError extends FirebreakError {
  constructor(
    readonly subject: string,
    readonly issues: readonly InputIssue[],
    options?: { cause?: unknown },
  ) {
    super(`${subject} is invalid: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`, options);
  }
}

/**
 * The SLO policy file is invalid. Every issue names the file and the path
 * inside it.
 */
export class PolicyError extends FirebreakError {
  constructor(
    readonly file: string,
    readonly issues: readonly InputIssue[],
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`, options);
  }
}

/** A conditional write lost a race: someone else changed the item first. Retryable. */
export class IncidentVersionConflictError extends FirebreakError {
  constructor(readonly incidentId: string, options?: { cause?: unknown }) {
    super(`incident ${incidentId} was changed concurrently`, options);
  }
}

/** The incident does not exist. */
export class IncidentNotFoundError extends FirebreakError {
  constructor(readonly incidentId: string, options?: { cause?: unknown }) {
    super(`incident ${incidentId} not found`, options);
  }
}

/** A lifecycle transition that the state machine of an incident does not allow. */
export class InvalidTransitionError extends FirebreakError {
  constructor(
    readonly incidentId: string,
    readonly from: string,
    readonly to: string,
    options?: { cause?: unknown },
  ) {
    super(`incident ${incidentId} cannot go from ${from} to ${to}`, options);
  }
}

/** The incident store (or its backing service) failed. Retryable unless `cause` says otherwise. */
export class IncidentStoreError extends FirebreakError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Starting a workflow failed. */
export class WorkflowStartError extends FirebreakError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Missing or wrong credentials on an inbound request. Maps to HTTP 401. */
export class UnauthorizedError extends FirebreakError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Required configuration (environment variable) is missing or malformed. */
export class ConfigurationError extends FirebreakError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * A vendor call failed in a way that may succeed later: HTTP 429 (with the
 * delay the vendor asked for), 5xx, a timeout or a network error. Workflows
 * retry it with backoff.
 */
export class VendorTransientError extends FirebreakError {
  constructor(
    readonly vendor: 'pagerduty' | 'slack',
    message: string,
    /** Seconds the vendor asked to wait (`Retry-After`), when it said. */
    readonly retryAfterSeconds?: number,
    options?: { cause?: unknown },
  ) {
    super(`${vendor}: ${message}`, options);
  }
}

/**
 * A vendor rejected a call for good: HTTP 400, or Slack `ok:false` with a
 * permanent error. Never retried; written to the incident timeline.
 */
export class VendorRejectedError extends FirebreakError {
  constructor(
    readonly vendor: 'pagerduty' | 'slack',
    message: string,
    /** The vendor's own error code (`invalid_auth`, `channel_not_found`, HTTP status…). */
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(`${vendor}: ${message}`, options);
  }
}

/** The person may not do this (not a configured responder nor the commander). */
export class NotAllowedError extends FirebreakError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
