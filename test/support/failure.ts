/**
 * The error a promise rejects with; throws when it resolves instead.
 *
 * @example
 * const error = await failure(source.fetch('s3://other-bucket/x'));
 */
export async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}
