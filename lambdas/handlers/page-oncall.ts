import { z } from 'zod';
import { pageOnCall, type PageOutcome } from '../core/engagement/page-on-call';
import { engagement } from './engagement-runtime';

/** Input of `Page On-Call` and `Retry The Page`. */
export const PageOnCallInputSchema = z.object({ incidentId: z.string().min(1), mode: z.enum(['first', 'retry']) });

/**
 * Tasks `Page On-Call` (one fast attempt; a vendor failure returns
 * `paged: false`) and `Retry The Page` (throws `VendorTransientError` for the
 * workflow's Retry) of `respond`.
 */
export async function handler(event: unknown): Promise<PageOutcome> {
  const { incidentId, mode } = PageOnCallInputSchema.parse(event);
  return pageOnCall(await engagement(), incidentId, mode);
}
