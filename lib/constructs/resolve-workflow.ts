import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { PROJECT_ROOT } from '../project-root';
import { FirebreakFunction } from './firebreak-function';
import { FollowUpChannelStateNames, FollowUpWorkflow, type FollowUpSteps, type FollowUpWorkflowOptions } from './follow-up-workflow';
import type { IncidentTable } from './incident-table';
import type { RecordsAccess } from './records-access';
import type { VendorCredentials } from './vendor-credentials';
import { RECORDS_RETRY, TRANSIENT_RETRY, invokeTask, recordTaskFailureTask, vendorRetry } from './workflow-tasks';

/**
 * State names of the `resolve` workflow. The embedded runner keys its task
 * overrides by state name: renaming one is a breaking change.
 */
export const ResolveStateNames = {
  closeOutIncident: 'Close Out The Incident',
  resolveThePage: 'Resolve The Page',
  recordPageResolutionFailure: 'Record The Page Resolution Failure',
  /** `Update The Incident Channel` and `Record The Channel Update Failure`, shared with `acknowledge`. */
  ...FollowUpChannelStateNames,
  harvestRegressionCases: 'Harvest Regression Cases',
  recordHarvestFailure: 'Record The Harvest Failure',
  draftThePostmortem: 'Draft The Postmortem',
  recordPostmortemDraftFailure: 'Record The Postmortem Draft Failure',
  incidentResolved: 'Incident Resolved',
} as const;

/** Where the postmortem template layer puts the template in the function (`/opt` is a layer's root). */
export const DEPLOYED_POSTMORTEM_TEMPLATE = '/opt/postmortem-template.md';

/** Properties of {@link ResolveWorkflow}. */
export interface ResolveWorkflowProps extends FollowUpWorkflowOptions {
  /** `harvest-cases` (`CorpusHarvest`), shared with `respond`: here it harvests what arrived during the incident. */
  readonly harvestCases: FirebreakFunction;

  /** The incident table `draft-postmortem` reads and writes. */
  readonly incidentTable: IncidentTable;

  /** The Slack credentials `draft-postmortem` posts to the incident channel with. */
  readonly vendorCredentials: VendorCredentials;

  /** The records repository `draft-postmortem` reads the cases from and commits the postmortem to. */
  readonly records: RecordsAccess;
}

/**
 * The `resolve` workflow: runs once per incident resolution, whichever side
 * it started from (`/incident resolve` or the Resolve button in Slack, a
 * PagerDuty webhook, or every alert of the incident resolved). Execution name
 * `resolve-<incident id>`; input `{incidentId, via, by}`.
 *
 * A {@link FollowUpWorkflow} (see there for the branches, retries, failure
 * handling and state machine settings): it resolves the PagerDuty incident
 * and posts the resolution to the Slack channel, marking the pinned summary
 * resolved. Then, one after the other:
 *
 * 1. `Harvest Regression Cases` (`harvest-cases`): the incident's failing
 *    prompts become regression cases in `corpus/` of the records
 *    repository; any failure, after its retries, is written to the timeline
 *    (task `harvest-cases`) and the workflow goes on: the postmortem does
 *    not depend on it.
 * 2. `Draft The Postmortem` (`draft-postmortem`): drafts
 *    `postmortems/<yyyy>/<id>.md` (never over an existing one), posts its
 *    link in the channel and closes the incident; a failure is written to
 *    the timeline (task `draft-postmortem`) and the workflow ends.
 *
 * This construct defines `draft-postmortem` (with the incident table, the
 * records repository access and the Slack credentials); `harvest-cases` is
 * the one `respond` uses too (`CorpusHarvest`). The postmortem
 * template (`runbooks/postmortem-template.md`) reaches `draft-postmortem`
 * through a Lambda layer of its own, at {@link DEPLOYED_POSTMORTEM_TEMPLATE}
 * (`FIREBREAK_POSTMORTEM_TEMPLATE`), so the deployed file is the one in the
 * repository, not a copy.
 *
 * @example
 * const resolve = new ResolveWorkflow(this, 'ResolveWorkflow', {
 *   engagement, harvestCases: corpusHarvest.harvestCases, incidentTable, vendorCredentials, records,
 * });
 * resolve.stateMachine.grantStartExecution(slackEvents.function);
 */
export class ResolveWorkflow extends FollowUpWorkflow {
  /** `draft-postmortem`: drafts the postmortem, tells the channel, closes the incident. */
  public readonly draftPostmortem: FirebreakFunction;

  /** The layer that holds the postmortem template. */
  public readonly postmortemTemplate: lambda.LayerVersion;

  constructor(scope: Construct, id: string, props: ResolveWorkflowProps) {
    // draft-postmortem is made in the workflow's scope, which exists only once super() runs: the builder hands it back here.
    const built: { functions?: ResolveFunctions } = {};
    super(scope, id, {
      ...props,
      workflow: 'resolve',
      pageFunction: props.engagement.resolvePage,
      event: 'resolved',
      stateNames: {
        followUp: ResolveStateNames.closeOutIncident,
        pageAction: ResolveStateNames.resolveThePage,
        recordPageActionFailure: ResolveStateNames.recordPageResolutionFailure,
        done: ResolveStateNames.incidentResolved,
      },
      channelUpdateComment: 'Post the resolution to the incident channel and mark the pinned summary resolved.',
      after: {
        summary: 'harvest the regression cases and draft the postmortem, which closes the incident',
        build: (workflow, done) => {
          built.functions = draftPostmortemFunction(workflow, props);
          return harvestAndDraftSteps(workflow, done, props, built.functions);
        },
      },
    });
    const made = built.functions;
    if (made === undefined) throw new Error('FollowUpWorkflow did not build the resolve steps');
    this.draftPostmortem = made.draftPostmortem;
    this.postmortemTemplate = made.template;
  }

  /** The functions this workflow defines, keyed by their kebab-case handler name (for alarms). */
  public get functions(): Readonly<Record<string, FirebreakFunction>> {
    return { 'draft-postmortem': this.draftPostmortem };
  }
}

/** The function (and the template layer) {@link ResolveWorkflow} defines. */
interface ResolveFunctions {
  readonly draftPostmortem: FirebreakFunction;
  readonly template: lambda.LayerVersion;
}

/**
 * `draft-postmortem`: `TABLE_NAME`, the vendor and records environments and
 * `FIREBREAK_POSTMORTEM_TEMPLATE`; item read/write on the table, read access
 * to the credentials secret, the records policy; the template layer. (The
 * same environment and grants as `harvest-cases`, plus the template.)
 */
function draftPostmortemFunction(scope: Construct, props: ResolveWorkflowProps): ResolveFunctions {
  const template = new lambda.LayerVersion(scope, 'PostmortemTemplate', {
    description: `Firebreak: runbooks/postmortem-template.md, at ${DEPLOYED_POSTMORTEM_TEMPLATE}`,
    code: lambda.Code.fromAsset(path.join(PROJECT_ROOT, 'runbooks'), { exclude: ['*', '!postmortem-template.md'] }),
    compatibleArchitectures: [lambda.Architecture.ARM_64],
    compatibleRuntimes: [lambda.Runtime.NODEJS_22_X],
  });
  const draftPostmortem = new FirebreakFunction(scope, 'DraftPostmortem', {
    entry: 'lambdas/handlers/draft-postmortem.ts',
    description: 'resolve: drafts the blameless postmortem into the records repository, posts its link and closes the incident',
    environment: {
      TABLE_NAME: props.incidentTable.tableName,
      ...props.vendorCredentials.environment,
      ...props.records.environment,
      FIREBREAK_POSTMORTEM_TEMPLATE: DEPLOYED_POSTMORTEM_TEMPLATE,
    },
  });
  props.incidentTable.grantReadWriteData(draftPostmortem.function);
  props.vendorCredentials.grantRead(draftPostmortem.function);
  props.records.grant(draftPostmortem);
  draftPostmortem.function.addLayers(template);
  return { draftPostmortem, template };
}

/**
 * `Harvest Regression Cases` → `Draft The Postmortem` → `done`, each task
 * with its failure recorder: a harvest failure goes on to the draft, a
 * draft failure to `done`.
 */
function harvestAndDraftSteps(scope: Construct, done: sfn.State, props: ResolveWorkflowProps, functions: ResolveFunctions): FollowUpSteps {
  const recordTaskFailure = props.engagement.recordTaskFailure;
  const retries = [vendorRetry(Duration.seconds(2), 5), RECORDS_RETRY, TRANSIENT_RETRY];

  const draft = invokeTask(scope, 'DraftPostmortemTask', {
    stateName: ResolveStateNames.draftThePostmortem,
    comment:
      'Draft postmortems/<yyyy>/<incident id>.md from the template, the record and the regression cases (free text redacted; ' +
      'an existing postmortem is never overwritten), post its link in the channel, and close the incident.',
    lambdaFunction: functions.draftPostmortem,
    payload: sfn.TaskInput.fromObject({ incidentId: sfn.JsonPath.stringAt('$.incidentId') }),
    resultSelector: {
      'path.$': '$.Payload.path',
      'link.$': '$.Payload.link',
      'existing.$': '$.Payload.existing',
      'closed.$': '$.Payload.closed',
    },
    resultPath: '$.postmortem',
    retries,
  });
  draft.addCatch(
    recordTaskFailureTask(scope, 'RecordPostmortemDraftFailureTask', {
      stateName: ResolveStateNames.recordPostmortemDraftFailure,
      lambdaFunction: recordTaskFailure,
      incidentIdPath: '$.incidentId',
      task: 'draft-postmortem',
      errorPath: '$.error',
      comment: 'Write the failure of draft-postmortem (after its retries) to the incident timeline; the workflow ends.',
    }).next(done),
    { errors: [sfn.Errors.ALL], resultPath: '$.error' },
  );
  draft.next(done);

  const harvest = invokeTask(scope, 'HarvestCasesTask', {
    stateName: ResolveStateNames.harvestRegressionCases,
    comment:
      'Turn the incident’s failing prompts (its evidence) into regression cases: redacted, classified, deduplicated, ' +
      'committed to corpus/ of the records repository. Idempotent.',
    lambdaFunction: props.harvestCases,
    payload: sfn.TaskInput.fromObject({ incidentId: sfn.JsonPath.stringAt('$.incidentId') }),
    resultSelector: {
      'created.$': '$.Payload.created',
      'merged.$': '$.Payload.merged',
      'skipped.$': '$.Payload.skipped',
      'caseIds.$': '$.Payload.caseIds',
    },
    resultPath: '$.harvest',
    retries,
  });
  harvest.addCatch(
    recordTaskFailureTask(scope, 'RecordHarvestFailureTask', {
      stateName: ResolveStateNames.recordHarvestFailure,
      lambdaFunction: recordTaskFailure,
      incidentIdPath: '$.incidentId',
      task: 'harvest-cases',
      errorPath: '$.error',
      comment: 'Write the failure of harvest-cases (after its retries) to the incident timeline; the postmortem is drafted all the same.',
    }).next(draft),
    { errors: [sfn.Errors.ALL], resultPath: '$.error' },
  );
  harvest.next(draft);

  return { start: harvest, invokedFunctions: [props.harvestCases, functions.draftPostmortem] };
}
