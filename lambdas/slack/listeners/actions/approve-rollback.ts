import type { IncidentCommandDeps } from '../../../core/commands/operations';
import { incidentButton, type IncidentButtonListener } from './button';

/**
 * The summary's *Approve rollback* button: records the approval
 * (`rollback.approved`; responders and the incident commander only). The
 * rollback itself is not executed yet — the answer says so.
 *
 * @example
 * app.action({ type: 'block_actions', action_id: ACTION_IDS.approveRollback }, approveRollbackButton(deps));
 */
export function approveRollbackButton(deps: IncidentCommandDeps): IncidentButtonListener {
  return incidentButton(deps, 'approve_rollback');
}
