import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { FirebreakFunction } from './firebreak-function';
import type { IncidentTable } from './incident-table';
import type { ModelControlAccess } from './model-control-access';
import type { VendorCredentials } from './vendor-credentials';

/** Properties of {@link InboundEndpoints}. */
export interface InboundEndpointsProps {
  /** The incident table the handlers read and write (roles, notes, lifecycle changes). */
  readonly incidentTable: IncidentTable;

  /** The PagerDuty and Slack credentials (signing secret, webhook secret, tokens). */
  readonly vendorCredentials: VendorCredentials;

  /** The `resolve` workflow the handlers start. */
  readonly resolveStateMachine: sfn.IStateMachine;

  /** The `acknowledge` workflow the handlers start. */
  readonly acknowledgeStateMachine: sfn.IStateMachine;

  /** The `rollback` workflow `slack-events` starts (Approve rollback, `/incident rollback`). */
  readonly rollbackStateMachine: sfn.IStateMachine;

  /**
   * The model control plane settings and permissions `slack-events` gets:
   * it runs `/incident undo <action>` (and the Undo buttons) synchronously.
   */
  readonly modelControl: ModelControlAccess;
}

/**
 * What PagerDuty and Slack call: two functions, each on an HTTPS Function URL.
 *
 * - `slack-events`: the `/incident` slash command and interactivity (buttons)
 *   on one URL. Slack wants an answer within 3 seconds: the handler acks and
 *   hands long work to a workflow; its timeout is 10 seconds.
 * - `pagerduty-webhook`: PagerDuty webhooks v3 (`incident.acknowledged`,
 *   `incident.resolved`).
 *
 * The URLs have no IAM auth because neither vendor can sign AWS requests;
 * each handler verifies the vendor's own signature (`X-Slack-Signature` with
 * `SLACK_SIGNING_SECRET`, `X-PagerDuty-Signature` with
 * `PAGERDUTY_WEBHOOK_SECRET`) and answers 401 otherwise.
 *
 * Both get `TABLE_NAME`, `RESOLVE_STATE_MACHINE_ARN`,
 * `ACKNOWLEDGE_STATE_MACHINE_ARN` and the vendor environment; they read and
 * write the incident table, read the credentials secret, and may start
 * executions of the resolve and acknowledge workflows.
 *
 * `slack-events` alone also gets `ROLLBACK_STATE_MACHINE_ARN` and may start
 * the rollback workflow (an approved rollback), and gets the model control
 * plane environment and permissions: `/incident undo <action>` changes the
 * model's control state within the request. `pagerduty-webhook` gets
 * neither.
 *
 * @example
 * const inbound = new InboundEndpoints(this, 'InboundEndpoints', {
 *   incidentTable, vendorCredentials, resolveStateMachine, acknowledgeStateMachine,
 * });
 * new CfnOutput(this, 'SlackRequestUrl', { value: inbound.slackRequestUrl.url });
 */
export class InboundEndpoints extends Construct {
  /** `slack-events`: slash command and interactivity. */
  public readonly slackEvents: FirebreakFunction;

  /** The Function URL Slack posts commands and interactions to. */
  public readonly slackRequestUrl: lambda.FunctionUrl;

  /** `pagerduty-webhook`: PagerDuty webhooks v3. */
  public readonly pagerDutyWebhook: FirebreakFunction;

  /** The Function URL of the PagerDuty webhook subscription. */
  public readonly pagerDutyWebhookUrl: lambda.FunctionUrl;

  constructor(scope: Construct, id: string, props: InboundEndpointsProps) {
    super(scope, id);
    const environment = {
      TABLE_NAME: props.incidentTable.tableName,
      RESOLVE_STATE_MACHINE_ARN: props.resolveStateMachine.stateMachineArn,
      ACKNOWLEDGE_STATE_MACHINE_ARN: props.acknowledgeStateMachine.stateMachineArn,
      ...props.vendorCredentials.environment,
    };

    this.slackEvents = new FirebreakFunction(this, 'SlackEvents', {
      entry: 'lambdas/handlers/slack-events.ts',
      description: 'Slack /incident command and buttons: verifies the signature, acks, starts workflows, undoes actions',
      environment: {
        ...environment,
        ROLLBACK_STATE_MACHINE_ARN: props.rollbackStateMachine.stateMachineArn,
        ...props.modelControl.environment,
      },
      timeout: Duration.seconds(10),
    });
    this.pagerDutyWebhook = new FirebreakFunction(this, 'PagerDutyWebhook', {
      entry: 'lambdas/handlers/pagerduty-webhook.ts',
      description: 'PagerDuty webhooks v3: verifies the signature, starts acknowledge or resolve',
      environment,
    });

    for (const handler of [this.slackEvents, this.pagerDutyWebhook]) {
      props.incidentTable.grantReadWriteData(handler.function);
      props.vendorCredentials.grantRead(handler.function);
      props.resolveStateMachine.grantStartExecution(handler.function);
      props.acknowledgeStateMachine.grantStartExecution(handler.function);
    }
    props.rollbackStateMachine.grantStartExecution(this.slackEvents.function);
    props.modelControl.grant(this.slackEvents);

    // No IAM auth: the vendors cannot sign AWS requests; the handlers verify the vendors' signatures.
    this.slackRequestUrl = this.slackEvents.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
    this.pagerDutyWebhookUrl = this.pagerDutyWebhook.function.addFunctionUrl({
      authType: lambda.FunctionUrlAuthType.NONE,
    });
  }

  /** Both functions, keyed by their kebab-case handler name (for alarms). */
  public get all(): Readonly<Record<string, FirebreakFunction>> {
    return { 'slack-events': this.slackEvents, 'pagerduty-webhook': this.pagerDutyWebhook };
  }
}
