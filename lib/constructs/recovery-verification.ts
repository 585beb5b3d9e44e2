import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, type Node } from 'constructs';
import { acknowledgeFinding } from '../acknowledge-finding';
import { FirebreakFunction } from './firebreak-function';
import type { IncidentTable } from './incident-table';

/** The SLI backends `check-recovery` can read on AWS. */
export const SLI_SOURCES = ['prometheus', 'cloudwatch'] as const;

/** One of {@link SLI_SOURCES}. */
export type SliSourceKind = (typeof SLI_SOURCES)[number];

/** Environment variable naming the SLI backend (`prometheus`, `cloudwatch`). */
export const SLI_SOURCE_ENV = 'FIREBREAK_SLI_SOURCE';

/** Environment variable holding the Prometheus base URL (only with the `prometheus` source). */
export const PROMETHEUS_URL_ENV = 'FIREBREAK_PROMETHEUS_URL';

/** Where `check-recovery` reads the SLO's SLI after containment or a rollback. */
export interface SliSourceSettings {
  /**
   * The SLI backend. CDK context key `sliSource`.
   *
   * - `cloudwatch`: CloudWatch `GetMetricData`.
   * - `prometheus`: the Prometheus HTTP query API at
   *   {@link SliSourceSettings.prometheusUrl}.
   *
   * @default 'cloudwatch'
   */
  readonly sliSource?: SliSourceKind;

  /**
   * Base URL of the Prometheus HTTP API (`https://prometheus.example.com`;
   * the adapter appends `/api/v1/query`). Required with `prometheus`, ignored
   * otherwise. CDK context key `prometheusUrl`.
   *
   * @default - none
   */
  readonly prometheusUrl?: string;
}

/** CDK context key of each {@link SliSourceSettings} field. */
export const SLI_SOURCE_CONTEXT_KEYS: Readonly<Record<keyof SliSourceSettings, string>> = {
  sliSource: 'sliSource',
  prometheusUrl: 'prometheusUrl',
};

/**
 * Reads {@link SliSourceSettings} from CDK context (`cdk deploy -c
 * sliSource=prometheus -c prometheusUrl=https://prometheus.example.com`, or
 * `context` in `cdk.json`). An absent or empty key is an unset setting. The
 * values are checked by {@link RecoveryVerification}.
 *
 * @param node - the construct node whose context to read (usually the stack's)
 * @returns the settings found
 * @throws Error when a context value is not a string
 *
 * @example
 * const settings = sliSourceSettingsFromContext(this.node);
 */
export function sliSourceSettingsFromContext(node: Node): SliSourceSettings {
  const single = (key: string): string | undefined => {
    const value: unknown = node.tryGetContext(key);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') throw new Error(`CDK context ${key} must be a string`);
    return value.trim();
  };
  return {
    sliSource: single(SLI_SOURCE_CONTEXT_KEYS.sliSource) as SliSourceKind | undefined,
    prometheusUrl: single(SLI_SOURCE_CONTEXT_KEYS.prometheusUrl),
  };
}

/** Properties of {@link RecoveryVerification}. */
export interface RecoveryVerificationProps {
  /** The incident table `check-recovery` reads (the incident, its SLO) and writes (readings, mitigated). */
  readonly incidentTable: IncidentTable;

  /**
   * Where the SLI is read.
   *
   * @default - `cloudwatch`
   */
  readonly settings?: SliSourceSettings;
}

/**
 * The `check-recovery` function: one SLI reading per call of `Check Recovery`
 * (see `VerifyRecoverySteps`), counting good readings in a row until the
 * incident is mitigated or the checks run out. Shared by the `respond` and
 * `rollback` workflows. Checks the settings when constructed, so a bad value
 * fails synthesis with the context key to fix.
 *
 * Environment: `TABLE_NAME`, `FIREBREAK_SLI_SOURCE`, and
 * `FIREBREAK_PROMETHEUS_URL` with `prometheus`. IAM: item read/write on the
 * incident table; with `cloudwatch`, `cloudwatch:GetMetricData` in a policy
 * of its own (that action has no resource-level permissions, so its
 * resource is `*`; the acknowledgement covers that policy only). No vendor
 * credentials.
 *
 * @example
 * const recovery = new RecoveryVerification(this, 'RecoveryVerification', {
 *   incidentTable,
 *   settings: sliSourceSettingsFromContext(this.node),
 * });
 * new RespondWorkflow(this, 'RespondWorkflow', { ..., checkRecovery: recovery.checkRecovery });
 */
export class RecoveryVerification extends Construct {
  /** The SLI backend `check-recovery` reads. */
  public readonly sliSource: SliSourceKind;

  /** `FIREBREAK_SLI_SOURCE`, and `FIREBREAK_PROMETHEUS_URL` with `prometheus`. */
  public readonly environment: Readonly<Record<string, string>>;

  /** `check-recovery`. */
  public readonly checkRecovery: FirebreakFunction;

  /** The `cloudwatch:GetMetricData` policy of `check-recovery` (only with `cloudwatch`). */
  public readonly metricReadPolicy?: iam.Policy;

  constructor(scope: Construct, id: string, props: RecoveryVerificationProps) {
    super(scope, id);
    const settings = props.settings ?? {};
    const table = props.incidentTable;
    this.sliSource = checkSliSource(settings.sliSource);
    this.environment =
      this.sliSource === 'prometheus'
        ? { [SLI_SOURCE_ENV]: 'prometheus', [PROMETHEUS_URL_ENV]: checkPrometheusUrl(settings.prometheusUrl) }
        : { [SLI_SOURCE_ENV]: 'cloudwatch' };

    this.checkRecovery = new FirebreakFunction(this, 'CheckRecovery', {
      entry: 'lambdas/handlers/check-recovery.ts',
      description: 'respond, rollback: reads the SLO\'s SLI after containment or a rollback and marks the incident mitigated once it recovers',
      environment: { TABLE_NAME: table.tableName, ...this.environment },
    });
    table.grantReadWriteData(this.checkRecovery.function);

    if (this.sliSource === 'cloudwatch') {
      const policy = new iam.Policy(this.checkRecovery, 'MetricReadPolicy', {
        roles: [this.checkRecovery.role],
        statements: [
          new iam.PolicyStatement({ sid: 'ReadSliMetrics', actions: ['cloudwatch:GetMetricData'], resources: ['*'] }),
        ],
      });
      this.checkRecovery.function.node.addDependency(policy);
      acknowledgeFinding(policy, {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'cloudwatch:GetMetricData does not support resource-level permissions (the Service Authorization ' +
          'Reference lists no resource type for it), so AWS requires Resource "*". It only reads metric data; ' +
          'this policy holds that one action and nothing else.',
      });
      this.metricReadPolicy = policy;
    }
  }
}

function checkSliSource(value: string | undefined): SliSourceKind {
  if (value === undefined) return 'cloudwatch';
  if ((SLI_SOURCES as readonly string[]).includes(value)) return value as SliSourceKind;
  throw new Error(`CDK context ${SLI_SOURCE_CONTEXT_KEYS.sliSource} must be one of ${SLI_SOURCES.join(', ')} (got "${value}")`);
}

/** The Prometheus base URL, trailing slashes dropped; refuses a missing or non-HTTP(S) one. */
function checkPrometheusUrl(value: string | undefined): string {
  const key = SLI_SOURCE_CONTEXT_KEYS.prometheusUrl;
  const url = (value ?? '').trim();
  if (url === '') {
    throw new Error(
      `CDK context ${key} is required when ${SLI_SOURCE_CONTEXT_KEYS.sliSource}=prometheus: the base URL of the ` +
        `Prometheus HTTP API (cdk deploy -c ${SLI_SOURCE_CONTEXT_KEYS.sliSource}=prometheus -c ${key}=https://prometheus.example.com)`,
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`CDK context ${key} must be an http or https URL (got "${url}")`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new Error(`CDK context ${key} must be an http or https URL (got "${url}")`);
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new Error(`CDK context ${key} must not carry credentials: environment variables are not secret (got a URL with user info)`);
  }
  if (parsed.search !== '' || parsed.hash !== '') {
    throw new Error(`CDK context ${key} must be the API's base URL, without a query or fragment (got "${url}")`);
  }
  return url.replace(/\/+$/, '');
}
