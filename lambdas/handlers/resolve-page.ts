import { followUpPage } from '../core/engagement/follow-up';
import { engagement } from './engagement-runtime';
import { LifecycleOriginSchema } from './lifecycle-origin';

/** Task `Resolve The Page` of `resolve`. */
export async function handler(event: unknown): Promise<{ sent: boolean; detail: string }> {
  return followUpPage(await engagement(), LifecycleOriginSchema.parse(event), 'resolve');
}
