import type { IncidentCommandDeps } from '../../../core/commands/operations';
import { incidentButton, type IncidentButtonListener } from './button';

/**
 * The summary's *Acknowledge* button: the same operation as `/incident ack`
 * (anyone may press it).
 *
 * @example
 * app.action({ type: 'block_actions', action_id: ACTION_IDS.acknowledge }, acknowledgeButton(deps));
 */
export function acknowledgeButton(deps: IncidentCommandDeps): IncidentButtonListener {
  return incidentButton(deps, 'acknowledge');
}
