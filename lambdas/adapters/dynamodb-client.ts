import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * A DynamoDB document client. The endpoint comes from the standard SDK
 * configuration (`AWS_ENDPOINT_URL_DYNAMODB` points it at the embedded
 * target's local DynamoDB), so the same adapters run on AWS and embedded.
 */
export function createDocumentClient(client: DynamoDBClient = new DynamoDBClient({})): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}
