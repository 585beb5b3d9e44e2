import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigurationError } from '../core/errors';

/**
 * Reads a bearer token from Secrets Manager once and caches it for the life
 * of the process (a Lambda container), refreshing after `ttlMs`.
 */
export class SecretsManagerToken {
  private cached: { value: string; at: number } | undefined;

  constructor(
    private readonly secretArn: string,
    private readonly client: SecretsManagerClient = new SecretsManagerClient({}),
    private readonly ttlMs = 5 * 60_000,
  ) {}

  async value(): Promise<string> {
    if (this.cached !== undefined && Date.now() - this.cached.at < this.ttlMs) return this.cached.value;
    const out = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretArn }));
    if (out.SecretString === undefined || out.SecretString === '') {
      throw new ConfigurationError(`secret ${this.secretArn} has no string value`);
    }
    this.cached = { value: out.SecretString, at: Date.now() };
    return out.SecretString;
  }
}
