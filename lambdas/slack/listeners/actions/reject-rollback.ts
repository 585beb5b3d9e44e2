import type { IncidentCommandDeps } from '../../../core/commands/operations';
import { incidentButton, type IncidentButtonListener } from './button';

/**
 * The summary's *Reject rollback* button, shown while a rollback waits for
 * approval: the same operation as `/incident rollback reject` (responders
 * and the incident commander only) — clears the request and records
 * `rollback.rejected`; containment stays as it is.
 *
 * @example
 * app.action({ type: 'block_actions', action_id: ACTION_IDS.rejectRollback }, rejectRollbackButton(deps));
 */
export function rejectRollbackButton(deps: IncidentCommandDeps): IncidentButtonListener {
  return incidentButton(deps, 'reject_rollback');
}
