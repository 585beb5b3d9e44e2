import { z } from 'zod';
import { recordSignal, type RecordSignalResult } from '../core/record-signal';
import { SignalSchema } from '../core/signal';
import { runtime } from './runtime';

/** Input of the `Record Or Join The Incident` task: the execution input of `respond`. */
export const RecordSignalInputSchema = z.object({ signal: SignalSchema });

/**
 * Task `Record Or Join The Incident` of `respond`: opens, joins or resolves
 * the incident of the signal. Throws `IncidentVersionConflictError` or
 * `IncidentStoreError` for the workflow's Retry to handle.
 */
export async function handler(event: unknown): Promise<RecordSignalResult> {
  const { signal } = RecordSignalInputSchema.parse(event);
  return recordSignal(runtime(), signal);
}
