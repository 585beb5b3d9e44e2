/**
 * Building the normalized {@link Signal} every workflow consumes.
 */
import type { AlertObservation } from '../alerts/observation';
import { signalId, type Signal } from '../signal';
import { matchAlert } from './match';
import type { Policy } from './schema';

/**
 * Maps an alert observation to its SLO and incident key. Unmapped alerts get
 * the key `{ slo: 'default', ... }` and `mapped: false`.
 *
 * @example
 * const signal = toSignal(policy, observation);
 * incidentKeyString(signal.key); // => 'ttft-p95#support-bot#support-llm'
 */
export function toSignal(policy: Policy, alert: AlertObservation): Signal {
  const match = matchAlert(policy, alert);
  return {
    id: signalId(alert),
    key: { slo: match.slo, service: match.service, model: match.model },
    mapped: match.mapped,
    severity: match.severity,
    flapHoldSeconds: match.flapHoldSeconds,
    alert,
  };
}
