import { Construct } from 'constructs';
import { FirebreakFunction } from './firebreak-function';
import type { IncidentTable } from './incident-table';
import type { VendorCredentials } from './vendor-credentials';

/** Properties of {@link EngagementFunctions}. */
export interface EngagementFunctionsProps {
  /** The incident table every function reads and writes (pages, channels, timeline). */
  readonly incidentTable: IncidentTable;

  /** The PagerDuty and Slack credentials the vendor functions read. */
  readonly vendorCredentials: VendorCredentials;
}

/**
 * The task functions the `respond`, `resolve`, `acknowledge` and `rollback`
 * workflows use to engage people: paging through PagerDuty (and escalating
 * the page when recovery is not verified) and running the Slack incident
 * channel, plus the one that writes a failed vendor task to the incident
 * timeline. Each function is defined once and shared by the
 * workflows that invoke it.
 *
 * Every function gets `TABLE_NAME` and item read/write on the incident table.
 * The six vendor functions also get `FIREBREAK_VENDOR_SECRET_ARN`, the plain
 * vendor settings and read access to the credentials secret;
 * `record-task-failure` talks to no vendor and gets neither.
 *
 * @example
 * const engagement = new EngagementFunctions(this, 'Engagement', { incidentTable, vendorCredentials });
 * const respond = new RespondWorkflow(this, 'RespondWorkflow', { incidentTable, engagement, resolveStateMachine });
 */
export class EngagementFunctions extends Construct {
  /** `page-oncall`: triggers the PagerDuty incident (mode `first` or `retry`). */
  public readonly pageOnCall: FirebreakFunction;

  /** `open-channel`: creates the Slack incident channel, invites on-call and responders, posts the summary. */
  public readonly openChannel: FirebreakFunction;

  /** `resolve-page`: resolves the PagerDuty incident. */
  public readonly resolvePage: FirebreakFunction;

  /** `acknowledge-page`: acknowledges the PagerDuty incident. */
  public readonly acknowledgePage: FirebreakFunction;

  /** `update-channel`: posts a lifecycle event to the channel and updates the pinned summary. */
  public readonly updateChannel: FirebreakFunction;

  /** `escalate-incident`: recovery was not verified; raises the PagerDuty page to critical. */
  public readonly escalateIncident: FirebreakFunction;

  /** `settle-rollback-approval`: after the approval deadline, reports how a rollback request ended and expires an unanswered one. */
  public readonly settleRollbackApproval: FirebreakFunction;

  /** `record-task-failure`: writes a failed task (vendor call, containment, rollback) to the incident timeline. */
  public readonly recordTaskFailure: FirebreakFunction;

  constructor(scope: Construct, id: string, props: EngagementFunctionsProps) {
    super(scope, id);
    const table = props.incidentTable;
    const credentials = props.vendorCredentials;
    const vendorFunction = (functionId: string, entry: string, description: string): FirebreakFunction => {
      const fn = new FirebreakFunction(this, functionId, {
        entry,
        description,
        environment: { TABLE_NAME: table.tableName, ...credentials.environment },
      });
      table.grantReadWriteData(fn.function);
      credentials.grantRead(fn.function);
      return fn;
    };

    this.pageOnCall = vendorFunction(
      'PageOnCall',
      'lambdas/handlers/page-oncall.ts',
      'respond: pages on-call through PagerDuty (first attempt, then retries)',
    );
    this.openChannel = vendorFunction(
      'OpenChannel',
      'lambdas/handlers/open-channel.ts',
      'respond: opens the Slack incident channel and invites on-call and responders',
    );
    this.resolvePage = vendorFunction(
      'ResolvePage',
      'lambdas/handlers/resolve-page.ts',
      'resolve: resolves the PagerDuty incident',
    );
    this.acknowledgePage = vendorFunction(
      'AcknowledgePage',
      'lambdas/handlers/acknowledge-page.ts',
      'acknowledge: acknowledges the PagerDuty incident',
    );
    this.updateChannel = vendorFunction(
      'UpdateChannel',
      'lambdas/handlers/update-channel.ts',
      'resolve, acknowledge, rollback, respond: posts the lifecycle event to the incident channel and updates its summary',
    );
    this.escalateIncident = vendorFunction(
      'EscalateIncident',
      'lambdas/handlers/escalate-incident.ts',
      'respond, rollback: recovery was not verified; raises the PagerDuty page to critical',
    );

    this.settleRollbackApproval = vendorFunction(
      'SettleRollbackApproval',
      'lambdas/handlers/settle-rollback-approval.ts',
      'respond: after the approval deadline, settles a rollback request (expires it, in the channel too, when nobody decided)',
    );

    this.recordTaskFailure = new FirebreakFunction(this, 'RecordTaskFailure', {
      entry: 'lambdas/handlers/record-task-failure.ts',
      description: 'respond, resolve, acknowledge, rollback: writes a failed task to the incident timeline',
      environment: { TABLE_NAME: table.tableName },
    });
    table.grantReadWriteData(this.recordTaskFailure.function);
  }

  /** Every function, keyed by its kebab-case handler name (for alarms). */
  public get all(): Readonly<Record<string, FirebreakFunction>> {
    return {
      'page-oncall': this.pageOnCall,
      'open-channel': this.openChannel,
      'resolve-page': this.resolvePage,
      'acknowledge-page': this.acknowledgePage,
      'update-channel': this.updateChannel,
      'escalate-incident': this.escalateIncident,
      'settle-rollback-approval': this.settleRollbackApproval,
      'record-task-failure': this.recordTaskFailure,
    };
  }
}
