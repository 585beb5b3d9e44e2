import type { Construct } from 'constructs';
import { FollowUpChannelStateNames, FollowUpWorkflow, type FollowUpWorkflowOptions } from './follow-up-workflow';

/**
 * State names of the `acknowledge` workflow. The embedded runner keys its
 * task overrides by state name: renaming one is a breaking change.
 */
export const AcknowledgeStateNames = {
  spreadAcknowledgement: 'Spread The Acknowledgement',
  acknowledgeThePage: 'Acknowledge The Page',
  recordPageAcknowledgementFailure: 'Record The Page Acknowledgement Failure',
  /** `Update The Incident Channel` and `Record The Channel Update Failure`, shared with `resolve`. */
  ...FollowUpChannelStateNames,
  acknowledgementSpread: 'Acknowledgement Spread',
} as const;

/** Properties of {@link AcknowledgeWorkflow} (the paging and channel functions: `acknowledge-page`, `update-channel`, `record-task-failure`). */
export type AcknowledgeWorkflowProps = FollowUpWorkflowOptions;

/**
 * The `acknowledge` workflow: runs once per incident acknowledgement,
 * whichever side it started from (`/incident ack` or the Acknowledge button
 * in Slack, or a PagerDuty webhook). Execution name
 * `acknowledge-<incident id>`; input `{incidentId, via, by}`.
 *
 * A {@link FollowUpWorkflow} (see there for the branches, retries, failure
 * handling and state machine settings): it acknowledges the PagerDuty
 * incident and posts the acknowledgement to the Slack channel, updating the
 * pinned summary.
 *
 * @example
 * const acknowledge = new AcknowledgeWorkflow(this, 'AcknowledgeWorkflow', { engagement });
 * acknowledge.stateMachine.grantStartExecution(slackEvents.function);
 */
export class AcknowledgeWorkflow extends FollowUpWorkflow {
  constructor(scope: Construct, id: string, props: AcknowledgeWorkflowProps) {
    super(scope, id, {
      ...props,
      workflow: 'acknowledge',
      pageFunction: props.engagement.acknowledgePage,
      event: 'acknowledged',
      stateNames: {
        followUp: AcknowledgeStateNames.spreadAcknowledgement,
        pageAction: AcknowledgeStateNames.acknowledgeThePage,
        recordPageActionFailure: AcknowledgeStateNames.recordPageAcknowledgementFailure,
        done: AcknowledgeStateNames.acknowledgementSpread,
      },
      channelUpdateComment: 'Post the acknowledgement to the incident channel and update the pinned summary.',
    });
  }
}
