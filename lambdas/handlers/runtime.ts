import { SFNClient } from '@aws-sdk/client-sfn';
import * as path from 'node:path';
import { loadPolicyFile } from '../adapters/file-policy-source';
import { awsClientSettings, awsClientSettingsGeneration } from '../adapters/aws-client-settings';
import { withoutSdkCallLogging } from '../adapters/aws-client-tuning';
import { createDocumentClient } from '../adapters/dynamodb-client';
import { DynamoDbIncidentStore } from '../adapters/dynamodb-incident-store';
import { DynamoDbSignalInbox } from '../adapters/dynamodb-signal-inbox';
import { SecretsManagerToken } from '../adapters/secrets-manager-token';
import { StepFunctionsWorkflowStarter } from '../adapters/step-functions-workflow-starter';
import { ConfigurationError } from '../core/errors';
import type { Policy } from '../core/policy/schema';
import { systemClock, type Clock, type IncidentStore, type SignalInbox, type WorkflowStarter } from '../core/ports';

/** Everything a handler needs, built from the environment. */
export interface Runtime {
  readonly store: IncidentStore;
  readonly inbox: SignalInbox;
  readonly starter: WorkflowStarter;
  readonly clock: Clock;
  /** The SLO policy (re-read when the file changes). */
  policy(): Policy;
  /** The bearer token alert routes require, or undefined when none is configured. */
  webhookToken(): Promise<string | undefined>;
}

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new ConfigurationError(`environment variable ${name} is required`);
  return value;
}

let cached: { fingerprint: string; runtime: Runtime } | undefined;

/**
 * The runtime of this process, built once (SDK clients at module scope, as
 * Lambda wants) and rebuilt only if the relevant environment changes, which
 * happens when tests start several embedded targets in one process.
 *
 * Variables: `TABLE_NAME`, `RESPOND_STATE_MACHINE_ARN` (intake only),
 * `FIREBREAK_POLICY_FILE` (default `runbooks/slos.yaml`),
 * `FIREBREAK_WEBHOOK_TOKEN` or `FIREBREAK_WEBHOOK_TOKEN_SECRET_ARN`, and the
 * SDK's own (`AWS_REGION`, `AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL_SFN`); rebuilt too when
 * the host process changes the clients' transport (`useAwsClientSettings`).
 */
export function runtime(): Runtime {
  const names = ['TABLE_NAME', 'RESPOND_STATE_MACHINE_ARN', 'RESOLVE_STATE_MACHINE_ARN', 'ACKNOWLEDGE_STATE_MACHINE_ARN', 'ROLLBACK_STATE_MACHINE_ARN', 'FIREBREAK_POLICY_FILE', 'FIREBREAK_WEBHOOK_TOKEN', 'FIREBREAK_WEBHOOK_TOKEN_SECRET_ARN', 'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL_SFN'];
  const fingerprint = [...names.map((n) => process.env[n] ?? ''), awsClientSettingsGeneration()].join('\u0000');
  if (cached?.fingerprint !== fingerprint) cached = { fingerprint, runtime: build() };
  return cached.runtime;
}

function build(): Runtime {
  const tableName = required('TABLE_NAME');
  const db = createDocumentClient();
  const policyFile = path.resolve(process.env.FIREBREAK_POLICY_FILE ?? 'runbooks/slos.yaml');
  const plainToken = process.env.FIREBREAK_WEBHOOK_TOKEN;
  const secretArn = process.env.FIREBREAK_WEBHOOK_TOKEN_SECRET_ARN;
  const secret = secretArn ? new SecretsManagerToken(secretArn) : undefined;
  let starter: WorkflowStarter | undefined;
  return {
    store: new DynamoDbIncidentStore(db, tableName),
    inbox: new DynamoDbSignalInbox(db, tableName),
    get starter(): WorkflowStarter {
      starter ??= new StepFunctionsWorkflowStarter(withoutSdkCallLogging(new SFNClient({ cacheMiddleware: true, ...awsClientSettings('sfn') })), {
        respond: process.env.RESPOND_STATE_MACHINE_ARN,
        resolve: process.env.RESOLVE_STATE_MACHINE_ARN,
        acknowledge: process.env.ACKNOWLEDGE_STATE_MACHINE_ARN,
        rollback: process.env.ROLLBACK_STATE_MACHINE_ARN,
      });
      return starter;
    },
    clock: systemClock,
    policy: () => loadPolicyFile(policyFile),
    webhookToken: async () => (plainToken ? plainToken : secret?.value()),
  };
}
