import type { AlertObservation, ParsedDelivery } from './alerts/observation';
import type { Clock, SignalInbox, WorkflowStarter } from './ports';
import type { Signal } from './signal';

/** What happened to one signal of a delivery. */
export interface AcceptedSignal {
  readonly signalId: string;
  readonly status: Signal['alert']['status'];
  readonly slo: string;
  readonly mapped: boolean;
  /** true when this exact signal was stored already when this delivery's write arrived (a redelivery). */
  readonly duplicate: boolean;
}

/** The answer to one delivery, sent back as the 2xx body of an intake route. */
export interface IntakeReceipt {
  readonly accepted: AcceptedSignal[];
  readonly ignored: { readonly reason: string }[];
  readonly truncatedAlerts: number;
}

/** Ports the intake uses. */
export interface IntakeDeps {
  readonly inbox: SignalInbox;
  readonly starter: WorkflowStarter;
  readonly clock: Clock;
}

/**
 * Accepts the alerts of one delivery: each becomes a signal, is stored in the
 * inbox (durable before this returns) and starts the `respond` workflow.
 * A redelivered signal is stored once; its workflow start is a no-op.
 *
 * @example
 * const receipt = await acceptDelivery(deps, parseAlertmanagerWebhook(body), (a) => toSignal(policy, a));
 */
export async function acceptDelivery(
  deps: IntakeDeps,
  delivery: ParsedDelivery,
  toSignal: (alert: AlertObservation) => Signal,
): Promise<IntakeReceipt> {
  const signals = delivery.observations.map(toSignal);
  const accepted: AcceptedSignal[] = [];
  // Sequential on purpose: alerts of one group keep their order into the workflows.
  for (const signal of signals) {
    // Both at once: the answer waits for both, so a 2xx still means stored. Should the start win and
    // the store fail, the sender gets an error and retries, and the workflow's own first step stores
    // the signal anyway: nothing is lost either way.
    const [stored] = await Promise.all([deps.inbox.accept(signal, deps.clock.now()), deps.starter.startRespond(signal)]);
    accepted.push({ signalId: signal.id, status: signal.alert.status, slo: signal.key.slo, mapped: signal.mapped, duplicate: stored === 'duplicate' });
  }
  return { accepted, ignored: delivery.ignored, truncatedAlerts: delivery.truncatedAlerts };
}
