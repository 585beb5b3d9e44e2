import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type { SFNClientConfig } from '@aws-sdk/client-sfn';

/** The AWS services whose clients a host process may tune. */
export type AwsService = 'dynamodb' | 'sfn';

/**
 * Client settings for one service, on top of the SDK's own configuration
 * from the environment (region, credentials, `AWS_ENDPOINT_URL_*`): how a
 * request travels (`requestHandler`) and how it is signed (`signer`).
 */
export type AwsClientSettings = Pick<DynamoDBClientConfig & SFNClientConfig, 'requestHandler' | 'signer'>;

type SettingsByService = Readonly<Partial<Record<AwsService, AwsClientSettings>>>;

let current: SettingsByService = {};
let generation = 0;

/**
 * The settings that clients created from now on use. On Lambda nothing sets
 * them, so every client is the SDK's default (HTTPS, SigV4). The embedded
 * target sets in-process transports to its local stand-ins of DynamoDB and
 * Step Functions, which serve the same API without a socket. Returns a
 * function that puts the previous settings back.
 *
 * @example
 * const restore = useAwsClientSettings({ sfn: { requestHandler: inProcess } });
 * // … later
 * restore();
 */
export function useAwsClientSettings(settings: SettingsByService): () => void {
  const previous = current;
  current = settings;
  generation += 1;
  return () => {
    current = previous;
    generation += 1;
  };
}

/** The settings of one service: spread them into the client's configuration. */
export function awsClientSettings(service: AwsService): AwsClientSettings {
  return current[service] ?? {};
}

/** Changes whenever the settings do: cached clients compare it to know when to rebuild. */
export function awsClientSettingsGeneration(): number {
  return generation;
}
