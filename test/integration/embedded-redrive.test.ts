import type { Incident } from '../../lambdas/core/incident';
import { makeSignal } from '../support/signals';
import { startTestTarget, tempDataDir } from '../support/embedded';

describe('embedded target: re-driving interrupted work at start', () => {
  it('finishes a signal that was accepted but whose workflow never ran', async () => {
    const dataDir = tempDataDir();
    const first = await startTestTarget({ dataDir });
    // As if the process died right after the inbox write, before StartExecution.
    const signal = makeSignal({ startsAt: new Date(Date.now() - 600_000).toISOString(), identity: 'redrive-1' });
    await first.inbox.accept(signal, new Date());
    await first.close();

    const second = await startTestTarget({ dataDir });
    try {
      expect(second.redriven).toBe(1);
      await second.engine.idle();
      const active: Incident[] = await second.store.listActive();
      expect(active).toHaveLength(1);
      expect(active[0]).toMatchObject({ openedBySignal: signal.id, status: 'open' });
      expect(active[0]!.confirmedAt).toBeDefined();
      expect(await second.inbox.listPending()).toEqual([]);
    } finally {
      await second.engine.idle();
      await second.close();
    }
  });
});
