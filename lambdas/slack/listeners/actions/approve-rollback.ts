import type { IncidentCommandDeps } from '../../../core/commands/operations';
import { incidentButton, type IncidentButtonListener } from './button';

/**
 * The summary's *Approve rollback* button: the same operation as
 * `/incident rollback` (responders and the incident commander only) — records
 * the approval (`rollback.approved`) and starts the `rollback` workflow, to
 * the version of the pending request if it names one, else to the newest
 * known-good version. The workflow posts its result in the incident thread.
 *
 * @example
 * app.action({ type: 'block_actions', action_id: ACTION_IDS.approveRollback }, approveRollbackButton(deps));
 */
export function approveRollbackButton(deps: IncidentCommandDeps): IncidentButtonListener {
  return incidentButton(deps, 'approve_rollback');
}
