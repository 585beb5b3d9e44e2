import * as fs from 'node:fs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { PagerDutyOnCallDirectory } from '../adapters/pagerduty-on-call-directory';
import { PagerDutyPager } from '../adapters/pagerduty-pager';
import { SlackIncidentChannel } from '../adapters/slack-incident-channel';
import { UnconfiguredIncidentChannel, UnconfiguredPager } from '../adapters/unconfigured-vendors';
import type { EngagementDeps } from '../core/engagement/deps';
import { ConfigurationError } from '../core/errors';
import { runtime } from './runtime';

/** Credentials and endpoints of PagerDuty and Slack. */
export interface VendorConfig {
  readonly pagerDutyRoutingKey?: string;
  readonly pagerDutyApiToken?: string;
  readonly pagerDutyWebhookSecret?: string;
  /** host[:port] of PagerDuty's Events API (pdjs `server`); HTTPS always. */
  readonly pagerDutyServer?: string;
  /** host[:port] of PagerDuty's REST API (`PAGERDUTY_API_SERVER`, default api.pagerduty.com). */
  readonly pagerDutyApiServer?: string;
  /** Extra CA (PEM) trusted for PagerDuty: the embedded simulator's certificate. */
  readonly pagerDutyCa?: string;
  readonly slackBotToken?: string;
  readonly slackSigningSecret?: string;
  readonly slackApiUrl?: string;
  /** Slack user ids and user-group ids (`FIREBREAK_RESPONDERS`). */
  readonly responders: readonly string[];
  readonly publicUrl?: string;
}

/** Keys of the `VendorCredentials` secret (JSON) on AWS; the same names as the environment variables. */
const SecretSchema = z
  .object({
    PAGERDUTY_ROUTING_KEY: z.string(),
    PAGERDUTY_API_TOKEN: z.string(),
    PAGERDUTY_WEBHOOK_SECRET: z.string(),
    SLACK_BOT_TOKEN: z.string(),
    SLACK_SIGNING_SECRET: z.string(),
  })
  .partial();

const nonEmpty = (value: string | undefined): string | undefined => (value === undefined || value.trim() === '' ? undefined : value.trim());

let cached: { key: string; config: Promise<VendorConfig> } | undefined;

async function readSecret(arn: string): Promise<z.infer<typeof SecretSchema>> {
  const out = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: arn }));
  try {
    return SecretSchema.parse(JSON.parse(out.SecretString ?? '{}'));
  } catch (error) {
    throw new ConfigurationError(`secret ${arn} must be a JSON object of strings (PAGERDUTY_ROUTING_KEY, SLACK_BOT_TOKEN, …)`, { cause: error });
  }
}

/**
 * The vendor configuration: environment variables first (embedded target,
 * tests), then the `FIREBREAK_VENDOR_SECRET_ARN` secret (AWS). Read once per
 * process (per environment).
 */
export function vendorConfig(): Promise<VendorConfig> {
  const env = process.env;
  const key = [
    'PAGERDUTY_ROUTING_KEY', 'PAGERDUTY_API_TOKEN', 'PAGERDUTY_WEBHOOK_SECRET', 'PAGERDUTY_SERVER', 'PAGERDUTY_API_SERVER', 'FIREBREAK_PAGERDUTY_CA_FILE',
    'SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_API_URL', 'FIREBREAK_RESPONDERS', 'FIREBREAK_PUBLIC_URL', 'FIREBREAK_VENDOR_SECRET_ARN',
  ].map((n) => env[n] ?? '').join('\u0000');
  if (cached?.key !== key) {
    const config = (async (): Promise<VendorConfig> => {
      const secret = env.FIREBREAK_VENDOR_SECRET_ARN ? await readSecret(env.FIREBREAK_VENDOR_SECRET_ARN) : {};
      const pick = (name: keyof z.infer<typeof SecretSchema>): string | undefined => nonEmpty(env[name]) ?? nonEmpty(secret[name]);
      const caFile = nonEmpty(env.FIREBREAK_PAGERDUTY_CA_FILE);
      return {
        pagerDutyRoutingKey: pick('PAGERDUTY_ROUTING_KEY'),
        pagerDutyApiToken: pick('PAGERDUTY_API_TOKEN'),
        pagerDutyWebhookSecret: pick('PAGERDUTY_WEBHOOK_SECRET'),
        pagerDutyServer: nonEmpty(env.PAGERDUTY_SERVER),
        pagerDutyApiServer: nonEmpty(env.PAGERDUTY_API_SERVER),
        pagerDutyCa: caFile === undefined ? undefined : fs.readFileSync(caFile, 'utf8'),
        slackBotToken: pick('SLACK_BOT_TOKEN'),
        slackSigningSecret: pick('SLACK_SIGNING_SECRET'),
        slackApiUrl: nonEmpty(env.SLACK_API_URL),
        responders: (env.FIREBREAK_RESPONDERS ?? '').split(',').map((s) => s.trim()).filter((s) => s !== ''),
        publicUrl: nonEmpty(env.FIREBREAK_PUBLIC_URL),
      };
    })();
    cached = { key, config };
    config.catch(() => {
      // A failed read (e.g. Secrets Manager throttled) is not cached: the next call tries again.
      if (cached?.config === config) cached = undefined;
    });
  }
  return cached.config;
}

let engagementCache: { config: VendorConfig; policyVersion: unknown; deps: EngagementDeps } | undefined;

/** The ports of the paging and channel steps, built from `vendorConfig()` and `runtime()`. */
export async function engagement(): Promise<EngagementDeps> {
  const config = await vendorConfig();
  const rt = runtime();
  const policy = rt.policy();
  if (engagementCache?.config === config && engagementCache.policyVersion === policy) return engagementCache.deps;
  const server = config.pagerDutyServer;
  const apiServer = config.pagerDutyApiServer;
  const deps: EngagementDeps = {
    store: rt.store,
    clock: rt.clock,
    policy,
    pager: config.pagerDutyRoutingKey === undefined ? new UnconfiguredPager() : new PagerDutyPager({ routingKey: config.pagerDutyRoutingKey, server, ca: config.pagerDutyCa }),
    onCall: config.pagerDutyApiToken === undefined ? undefined : new PagerDutyOnCallDirectory({ token: config.pagerDutyApiToken, server: apiServer, ca: config.pagerDutyCa }),
    channel: config.slackBotToken === undefined ? new UnconfiguredIncidentChannel() : new SlackIncidentChannel({ token: config.slackBotToken, slackApiUrl: config.slackApiUrl }),
    // Only user ids are invited directly; user groups authorise commands (see the Slack app).
    responders: config.responders.filter((id) => /^[UW][A-Z0-9]+$/.test(id)),
    publicUrl: config.publicUrl,
  };
  engagementCache = { config, policyVersion: policy, deps };
  return deps;
}
