import { describe, expect, it } from 'vitest';
import { defaultPolicySnapshot, PolicyCache } from '../../plugins/safety-policy/cache.js';
import type { PolicySnapshot } from '../../protocol/policy.js';

/** A load the test answers by hand, counting the calls: each call is one read of the store. */
function manualStore() {
  const pending: ((snapshot: PolicySnapshot) => void)[] = [];
  return {
    load: () => new Promise<PolicySnapshot>((resolve) => pending.push(resolve)),
    get reads() {
      return pending.length;
    },
    answer: (index: number, snapshot: PolicySnapshot) => pending[index]!(snapshot),
  };
}

const revision = (n: number): PolicySnapshot => ({ ...defaultPolicySnapshot(), revision: n });

// On Workers a request must not await another request's I/O: no caller may wait on a read another caller started.
describe('PolicyCache reads', () => {
  it('should give a stale copy to callers that come while another caller refreshes it, and never share that read', async () => {
    const cache = new PolicyCache({ ttlMs: 0 });
    const store = manualStore();
    const first = cache.snapshot(store.load);
    store.answer(0, revision(1));
    expect((await first).revision).toBe(1);

    const refreshing = cache.snapshot(store.load);
    expect(store.reads).toBe(2);
    // Another caller, while that read is out: the copy it replaces, at once, and no read of its own.
    expect((await cache.snapshot(store.load)).revision).toBe(1);
    expect(store.reads).toBe(2);
    store.answer(1, revision(2));
    expect((await refreshing).revision).toBe(2);
  });

  it('should have each caller read for itself while the cache holds no copy at all', async () => {
    const cache = new PolicyCache({ ttlMs: 60_000 });
    const store = manualStore();
    const callers = [cache.snapshot(store.load), cache.snapshot(store.load), cache.snapshot(store.load)];
    expect(store.reads).toBe(3);
    [3, 4, 5].forEach((n, index) => store.answer(index, revision(n)));
    const answers = (await Promise.all(callers)).map((snapshot) => snapshot.revision);
    expect(answers).toEqual([3, 4, 5]);
    // Once it has a copy, a fresh one is served with no read.
    await cache.snapshot(store.load);
    expect(store.reads).toBe(3);
  });
});
