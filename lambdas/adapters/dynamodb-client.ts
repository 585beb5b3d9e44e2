import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { awsClientSettings } from './aws-client-settings';
import { withoutSdkCallLogging } from './aws-client-tuning';
import { DynamoDbDocuments } from './dynamodb-documents';

/**
 * DynamoDB for Firebreak's adapters: items as plain values over a client
 * that resolves its middleware once (`cacheMiddleware`) and skips the SDK's
 * per-call logging (`withoutSdkCallLogging`). The endpoint comes
 * from the standard SDK configuration (`AWS_ENDPOINT_URL_DYNAMODB` points it
 * at the embedded target's local DynamoDB), and the transport from
 * {@link awsClientSettings} (the embedded target's in-process one), so the
 * same adapters run on AWS and embedded.
 */
export function createDocumentClient(client: DynamoDBClient = withoutSdkCallLogging(new DynamoDBClient({ cacheMiddleware: true, ...awsClientSettings('dynamodb') }))): DynamoDbDocuments {
  return new DynamoDbDocuments(client);
}
