import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { runIncidentAction, type CommandReply, type IncidentAction, type IncidentCommandDeps } from '../../../core/commands/operations';

/** What Bolt calls with a click on one of the incident summary's buttons. */
export type IncidentButtonListener = (args: SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs) => Promise<void>;

/**
 * The shared body of the incident buttons (one callback file per button
 * uses it): `ack()` first, then the operation (`runIncidentAction`, the same
 * checks as the commands; the button's `value` is the incident id), then the
 * answer to the person with `chat.postEphemeral` in the button's channel,
 * through the configured Web API URL — never `respond()`, whose
 * `response_url` points at hooks.slack.com.
 *
 * The request id (timeline entry ids derive from it) is the interaction's
 * `trigger_id`, or the action's `action_ts` when there is none.
 *
 * A failing operation is logged and answered with an ephemeral warning. A
 * failing answer is logged only: the operation took effect (and is on the
 * timeline), so the HTTP answer to Slack stays 200.
 *
 * @example
 * export const resolveButton = (deps: IncidentCommandDeps) => incidentButton(deps, 'resolve');
 */
export function incidentButton(deps: IncidentCommandDeps, operation: IncidentAction): IncidentButtonListener {
  return async ({ ack, body, action, client, logger }) => {
    await ack();
    const userId = body.user.id;
    const container = body.container as { channel_id?: unknown } | undefined;
    const channelId = body.channel?.id ?? (typeof container?.channel_id === 'string' ? container.channel_id : undefined);
    const requestId = body.trigger_id || action.action_ts;
    const incidentId = action.value;
    let reply: CommandReply;
    if (incidentId === undefined || incidentId === '') {
      reply = { visibility: 'ephemeral', text: 'This button carries no incident id, so Firebreak cannot tell which incident it is for.' };
    } else {
      try {
        reply = await runIncidentAction(deps, { userId, requestId, ...(channelId === undefined ? {} : { channelId }) }, operation, incidentId);
      } catch (error) {
        logger.error(`incident button ${operation} failed`, error);
        const name = error instanceof Error ? error.name : 'Error';
        reply = { visibility: 'ephemeral', text: `:warning: Firebreak could not ${operation.replace(/_/g, ' ')} ${incidentId} (${name}). It may not have been applied: check \`/incident status\` and try again.` };
      }
    }
    if (channelId === undefined) {
      logger.warn(`incident button ${operation}: the interaction has no channel, so the answer cannot be posted`);
      return;
    }
    try {
      await client.chat.postEphemeral({ channel: channelId, user: userId, text: reply.text });
    } catch (error) {
      logger.error(`incident button ${operation}: answering with chat.postEphemeral failed`, error);
    }
  };
}
