import type { Construct } from 'constructs';
import { FollowUpChannelStateNames, FollowUpWorkflow, type FollowUpWorkflowOptions } from './follow-up-workflow';

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
  incidentResolved: 'Incident Resolved',
} as const;

/** Properties of {@link ResolveWorkflow} (the paging and channel functions: `resolve-page`, `update-channel`, `record-task-failure`). */
export type ResolveWorkflowProps = FollowUpWorkflowOptions;

/**
 * The `resolve` workflow: runs once per incident resolution, whichever side
 * it started from (`/incident resolve` or the Resolve button in Slack, a
 * PagerDuty webhook, or every alert of the incident resolved). Execution name
 * `resolve-<incident id>`; input `{incidentId, via, by}`.
 *
 * A {@link FollowUpWorkflow} (see there for the branches, retries, failure
 * handling and state machine settings): it resolves the PagerDuty incident
 * and posts the resolution to the Slack channel, marking the pinned summary
 * resolved. (Postmortem and corpus steps arrive with later issues.)
 *
 * @example
 * const resolve = new ResolveWorkflow(this, 'ResolveWorkflow', { engagement });
 * resolve.stateMachine.grantStartExecution(slackEvents.function);
 */
export class ResolveWorkflow extends FollowUpWorkflow {
  constructor(scope: Construct, id: string, props: ResolveWorkflowProps) {
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
    });
  }
}
