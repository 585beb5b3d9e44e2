import { z } from 'zod';
import { settleRollbackApproval, type ApprovalOutcome } from '../core/containment/rollback-approval';
import { engagement } from './engagement-runtime';

/** Input of `Settle The Rollback Approval`. */
export const SettleRollbackApprovalInputSchema = z.object({ incidentId: z.string().min(1) });

/**
 * Task `Settle The Rollback Approval` of `respond`: after the approval
 * deadline, reports how the rollback request ended and expires it (on the
 * timeline and in the channel) when nobody decided.
 */
export async function handler(event: unknown): Promise<{ outcome: ApprovalOutcome }> {
  const { incidentId } = SettleRollbackApprovalInputSchema.parse(event);
  return settleRollbackApproval(await engagement(), incidentId);
}
