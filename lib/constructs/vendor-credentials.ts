import type * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, type Node } from 'constructs';
import { acknowledgeFinding } from '../acknowledge-finding';

/** The keys of the `VendorCredentials` secret's JSON value. */
export const VENDOR_CREDENTIAL_KEYS = [
  'PAGERDUTY_ROUTING_KEY',
  'PAGERDUTY_API_TOKEN',
  'PAGERDUTY_WEBHOOK_SECRET',
  'SLACK_BOT_TOKEN',
  'SLACK_SIGNING_SECRET',
] as const;

/**
 * Value of every key in the secret CDK creates, until the operator writes the
 * real credentials. Empty on purpose: the handlers treat an empty key as not
 * configured and say so (a page is refused with "PAGERDUTY_ROUTING_KEY is not
 * set", on the incident timeline; a webhook without a secret gets 401),
 * instead of sending a made-up credential to the vendor.
 */
export const VENDOR_CREDENTIAL_PLACEHOLDER = '';

/** Environment variable, on every function that talks to PagerDuty or Slack, holding the secret's ARN. */
export const VENDOR_SECRET_ENV = 'FIREBREAK_VENDOR_SECRET_ARN';

/**
 * Plain (non-secret) vendor settings. Each one, when set, becomes an
 * environment variable of every function that talks to PagerDuty or Slack;
 * when unset, the variable is left out and the handler's own default applies.
 */
export interface VendorSettings {
  /**
   * host[:port] of the PagerDuty Events API (pdjs `server`; HTTPS always).
   * Environment variable `PAGERDUTY_SERVER`; CDK context key `pagerDutyServer`.
   *
   * @default - PagerDuty's (`events.pagerduty.com`)
   */
  readonly pagerDutyServer?: string;

  /**
   * Base URL of the Slack Web API (Bolt `slackApiUrl`).
   * Environment variable `SLACK_API_URL`; CDK context key `slackApiUrl`.
   *
   * @default - Slack's (`https://slack.com/api/`)
   */
  readonly slackApiUrl?: string;

  /**
   * Slack user ids, or one user-group id, allowed to run `resolve`,
   * `rollback`, `contain` and `sev` besides the incident commander; a list or
   * a comma-separated string. Environment variable `FIREBREAK_RESPONDERS`;
   * CDK context key `responders`.
   *
   * @default - none: only the incident commander may run them
   */
  readonly responders?: string | readonly string[];

  /**
   * Public base URL of Firebreak, used for links to the incident in pages and
   * Slack messages. Environment variable `FIREBREAK_PUBLIC_URL`; CDK context
   * key `publicUrl`.
   *
   * @default - no incident links
   */
  readonly publicUrl?: string;
}

/** CDK context key of each {@link VendorSettings} field. */
const CONTEXT_KEYS: Readonly<Record<keyof VendorSettings, string>> = {
  pagerDutyServer: 'pagerDutyServer',
  slackApiUrl: 'slackApiUrl',
  responders: 'responders',
  publicUrl: 'publicUrl',
};

/**
 * Reads {@link VendorSettings} from CDK context (`cdk deploy -c
 * pagerDutyServer=...`, or `context` in `cdk.json`). An absent or empty key
 * is an unset setting.
 *
 * @param node - the construct node whose context to read (usually the stack's)
 * @returns the settings found
 * @throws Error when a context value has the wrong type
 *
 * @example
 * const settings = vendorSettingsFromContext(this.node);
 */
export function vendorSettingsFromContext(node: Node): VendorSettings {
  const read = (key: string, allowList: boolean): string | string[] | undefined => {
    const value: unknown = node.tryGetContext(key);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'string') return value;
    if (allowList && Array.isArray(value) && value.every((item) => typeof item === 'string')) return value as string[];
    throw new Error(`CDK context ${key} must be a string${allowList ? ' or a list of strings' : ''}`);
  };
  const single = (key: string): string | undefined => read(key, false) as string | undefined;
  return {
    pagerDutyServer: single(CONTEXT_KEYS.pagerDutyServer),
    slackApiUrl: single(CONTEXT_KEYS.slackApiUrl),
    responders: read(CONTEXT_KEYS.responders, true),
    publicUrl: single(CONTEXT_KEYS.publicUrl),
  };
}

/**
 * The environment variables of `settings` that are set (see
 * {@link VendorSettings}); unset ones are left out.
 *
 * @param settings - the settings
 * @returns `PAGERDUTY_SERVER`, `SLACK_API_URL`, `FIREBREAK_RESPONDERS`, `FIREBREAK_PUBLIC_URL`, as set
 *
 * @example
 * vendorSettingsEnvironment({ slackApiUrl: 'https://slack.example/api/' }); // { SLACK_API_URL: '...' }
 */
export function vendorSettingsEnvironment(settings: VendorSettings): Record<string, string> {
  const environment: Record<string, string> = {};
  const set = (name: string, value: string | undefined): void => {
    if (value !== undefined && value.trim() !== '') environment[name] = value.trim();
  };
  set('PAGERDUTY_SERVER', settings.pagerDutyServer);
  set('SLACK_API_URL', settings.slackApiUrl);
  const responders = settings.responders;
  set(
    'FIREBREAK_RESPONDERS',
    typeof responders === 'string' || responders === undefined
      ? responders
      : responders.map((id) => id.trim()).filter((id) => id !== '').join(','),
  );
  set('FIREBREAK_PUBLIC_URL', settings.publicUrl);
  return environment;
}

/** Properties of {@link VendorCredentials}. */
export interface VendorCredentialsProps {
  /**
   * Plain settings for the functions that use the credentials.
   *
   * @default - none set
   */
  readonly settings?: VendorSettings;
}

/**
 * The PagerDuty and Slack credentials, in one Secrets Manager secret whose
 * value is a JSON object with the keys {@link VENDOR_CREDENTIAL_KEYS}.
 *
 * CDK creates the secret from a template with every key empty
 * ({@link VENDOR_CREDENTIAL_PLACEHOLDER}: not configured) plus a generated
 * `placeholder` key (Secrets Manager generates one value into the template;
 * handlers ignore unknown keys). The operator overwrites the whole value with
 * the real credentials after the first deployment (`aws secretsmanager
 * put-secret-value`); later deployments leave the value alone.
 *
 * Functions that talk to a vendor get {@link VendorCredentials.environment}
 * (the secret's ARN and the plain settings) and {@link VendorCredentials.grantRead}.
 *
 * @example
 * const credentials = new VendorCredentials(this, 'VendorCredentials', { settings });
 * const fn = new FirebreakFunction(this, 'PageOnCall', { entry, environment: credentials.environment });
 * credentials.grantRead(fn.function);
 */
export class VendorCredentials extends Construct {
  /** The secret. */
  public readonly secret: secretsmanager.Secret;

  /** `FIREBREAK_VENDOR_SECRET_ARN` and the vendor settings that are set. */
  public readonly environment: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: VendorCredentialsProps = {}) {
    super(scope, id);
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      description:
        `PagerDuty and Slack credentials of Firebreak: JSON with ${VENDOR_CREDENTIAL_KEYS.join(', ')}. ` +
        'Created with empty placeholders; overwrite the whole value after the first deployment.',
      generateSecretString: {
        secretStringTemplate: JSON.stringify(
          Object.fromEntries(VENDOR_CREDENTIAL_KEYS.map((key) => [key, VENDOR_CREDENTIAL_PLACEHOLDER])),
        ),
        generateStringKey: 'placeholder',
        excludePunctuation: true,
      },
    });
    acknowledgeFinding(this.secret, {
      id: 'AwsSolutions-SMG4',
      reason:
        'These credentials are issued by PagerDuty and Slack (routing key, API token, webhook secret, bot ' +
        'token, signing secret); a Secrets Manager rotation function cannot mint new ones. They are rotated ' +
        'in the vendor consoles and then written here by the operator.',
    });
    this.environment = {
      [VENDOR_SECRET_ENV]: this.secret.secretArn,
      ...vendorSettingsEnvironment(props.settings ?? {}),
    };
  }

  /**
   * Lets `grantee` read the secret's value (and nothing else).
   *
   * @param grantee - a function's role
   * @returns the grant
   *
   * @example
   * credentials.grantRead(pageOnCall.function);
   */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.secret.grantRead(grantee);
  }
}
