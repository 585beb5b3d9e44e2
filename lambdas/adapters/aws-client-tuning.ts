/**
 * Removes the SDK's per-call logging middleware from a client. Firebreak
 * configures no SDK logger (its own adapters log what matters), yet with the
 * default no-op logger that middleware still builds a redacted copy of every
 * input and output on each call: about a tenth of a DynamoDB call's CPU on
 * the alert path. Errors still reach the caller unchanged.
 *
 * @example
 * const client = withoutSdkCallLogging(new DynamoDBClient({ cacheMiddleware: true }));
 */
export function withoutSdkCallLogging<C extends { readonly middlewareStack: { remove(toRemove: string): boolean } }>(client: C): C {
  client.middlewareStack.remove('loggerMiddleware');
  return client;
}
