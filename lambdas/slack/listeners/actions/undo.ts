import type { IncidentCommandDeps } from '../../../core/commands/operations';
import type { UndoableAction } from '../../../core/commands/parse';
import { incidentButton, type IncidentButtonListener } from './button';

/**
 * The summary's *Undo <action>* buttons (one per action not undone yet): the
 * same operation as `/incident undo <action>` — responders and the incident
 * commander only; the answer shows before → after or why nothing was undone.
 *
 * @example
 * app.action({ type: 'block_actions', action_id: UNDO_ACTION_IDS.kill_switch }, undoButton(deps, 'kill_switch'));
 */
export function undoButton(deps: IncidentCommandDeps, action: UndoableAction): IncidentButtonListener {
  return incidentButton(deps, `undo_${action}`);
}
