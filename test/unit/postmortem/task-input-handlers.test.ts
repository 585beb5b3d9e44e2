import { InvalidInputError } from '../../../lambdas/core/errors';
import { handler as draftPostmortem } from '../../../lambdas/handlers/draft-postmortem';
import { handler as harvestCases } from '../../../lambdas/handlers/harvest-cases';

/*
 * The task input of `Draft The Postmortem` and `Harvest Regression Cases`
 * is checked before anything else runs: bad input is an InvalidInputError
 * naming the path at fault (the ZodError kept as its cause), as every
 * boundary reports it, never a bare ZodError.
 */

/** What a handler rejects with for `event`. */
async function rejectionOf(handler: (event: unknown) => Promise<unknown>, event: unknown): Promise<unknown> {
  return handler(event).then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe.each([
  ['Draft The Postmortem', draftPostmortem],
  ['Harvest Regression Cases', harvestCases],
])('%s task input', (task, handler) => {
  it('rejects an input without incidentId as InvalidInputError naming the path', async () => {
    const error = await rejectionOf(handler, { incident: 'inc-20261121-5f2a9c1e' });
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ name: 'InvalidInputError', subject: `${task} input`, issues: [{ path: 'incidentId', message: expect.stringContaining('missing') }] });
    expect((error as Error).cause).toMatchObject({ name: 'ZodError' });
  });

  it('rejects an empty incidentId and an input that is not an object', async () => {
    expect(await rejectionOf(handler, { incidentId: '' })).toMatchObject({ name: 'InvalidInputError', issues: [{ path: 'incidentId' }] });
    expect(await rejectionOf(handler, 'inc-20261121-5f2a9c1e')).toMatchObject({ name: 'InvalidInputError', issues: [{ path: '' }] });
  });
});
