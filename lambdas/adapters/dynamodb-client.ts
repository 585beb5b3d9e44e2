import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsClientSettings } from './aws-client-settings';

/**
 * A DynamoDB document client. The endpoint comes from the standard SDK
 * configuration (`AWS_ENDPOINT_URL_DYNAMODB` points it at the embedded
 * target's local DynamoDB), and the transport from {@link awsClientSettings}
 * (the embedded target's in-process one), so the same adapters run on AWS
 * and embedded.
 */
export function createDocumentClient(client: DynamoDBClient = new DynamoDBClient({ ...awsClientSettings('dynamodb') })): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}
