import type { IncidentCommandDeps } from '../../../core/commands/operations';
import { incidentButton, type IncidentButtonListener } from './button';

/**
 * The summary's *Resolve* button: the same operation as `/incident resolve`
 * (responders and the incident commander only; others are refused and the
 * refusal recorded).
 *
 * @example
 * app.action({ type: 'block_actions', action_id: ACTION_IDS.resolve }, resolveButton(deps));
 */
export function resolveButton(deps: IncidentCommandDeps): IncidentButtonListener {
  return incidentButton(deps, 'resolve');
}
