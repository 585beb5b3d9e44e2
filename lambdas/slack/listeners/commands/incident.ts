import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { runIncidentCommandText, type CommandReply, type IncidentCommandDeps } from '../../../core/commands/operations';

/** The `/incident` listener: what Bolt calls with a slash command. */
export type IncidentCommandListener = (args: SlackCommandMiddlewareArgs & AllMiddlewareArgs) => Promise<void>;

/**
 * The `/incident` slash command. The reply travels in the acknowledgement
 * itself (`ack({response_type, text})`, the HTTP answer to Slack), which is
 * this listener's first and only Slack-facing call: on Lambda the receiver
 * answers only after the listener finishes, so the work done before `ack`
 * is bounded to what fits Slack's 3 seconds — DynamoDB reads and writes,
 * StartExecution, and for `contain` / `undo` one conditional write to the
 * model control plane; anything longer (a rollback) runs in a workflow. It never uses
 * `respond()` (the `response_url` points at hooks.slack.com, outside the
 * configured `SLACK_API_URL`).
 *
 * A failure is logged and answered with an ephemeral message naming the
 * error, so the person knows the command did not (fully) run.
 *
 * @example
 * app.command('/incident', incidentCommand(deps));
 */
export function incidentCommand(deps: IncidentCommandDeps): IncidentCommandListener {
  return async ({ command, ack, logger }) => {
    let reply: CommandReply;
    try {
      reply = await runIncidentCommandText(deps, { userId: command.user_id, channelId: command.channel_id, requestId: command.trigger_id }, command.text ?? '');
    } catch (error) {
      logger.error('/incident failed', error);
      const name = error instanceof Error ? error.name : 'Error';
      reply = { visibility: 'ephemeral', text: `:warning: Firebreak could not run \`/incident ${firstWord(command.text)}\` (${name}). It may not have been applied: check \`/incident status\` and try again.` };
    }
    await ack({ response_type: reply.visibility, text: reply.text });
  };
}

function firstWord(text: string | undefined): string {
  return (text ?? '').trim().split(/\s+/)[0]?.replace(/`/g, "'").slice(0, 30) || 'help';
}
