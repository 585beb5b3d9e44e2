import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import type { IncidentCommandDeps } from '../../core/commands/operations';
import { UNDOABLE_ACTIONS } from '../../core/commands/parse';
import { ACTION_IDS, UNDO_ACTION_IDS } from '../blocks';
import { acknowledgeButton } from './actions/acknowledge';
import { approveRollbackButton } from './actions/approve-rollback';
import { rejectRollbackButton } from './actions/reject-rollback';
import { resolveButton } from './actions/resolve';
import { undoButton } from './actions/undo';
import { incidentCommand } from './commands/incident';

/** The slash command Firebreak's Slack app defines. */
export const INCIDENT_COMMAND = '/incident';

/**
 * Registers every listener of the Slack app: the `/incident` command and the
 * incident summary's buttons (matched by `action_id`, see `ACTION_IDS`):
 * Acknowledge, Approve rollback, Reject rollback (while one waits for
 * approval), Resolve and the four Undo buttons.
 *
 * @example
 * registerListeners(app, deps);
 */
export function registerListeners(app: App, deps: IncidentCommandDeps): void {
  app.command(INCIDENT_COMMAND, incidentCommand(deps));
  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: ACTION_IDS.acknowledge }, acknowledgeButton(deps));
  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: ACTION_IDS.approveRollback }, approveRollbackButton(deps));
  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: ACTION_IDS.rejectRollback }, rejectRollbackButton(deps));
  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: ACTION_IDS.resolve }, resolveButton(deps));
  for (const action of UNDOABLE_ACTIONS) {
    app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: UNDO_ACTION_IDS[action] }, undoButton(deps, action));
  }
}
