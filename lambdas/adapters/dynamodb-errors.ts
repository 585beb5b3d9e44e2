import { IncidentStoreError } from '../core/errors';

/** True for DynamoDB's conditional-check failure, whatever client raised it. */
export function isConditionalCheckFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/** Wraps an SDK error into the domain's `IncidentStoreError`, keeping the cause. */
export function storeError(operation: string, error: unknown): IncidentStoreError {
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new IncidentStoreError(`DynamoDB ${operation} failed (${detail})`, { cause: error });
}
