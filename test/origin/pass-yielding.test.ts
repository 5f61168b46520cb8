// Who waits at a pass boundary on one worker (origin-gpu/pass-yielding.ts): free work for paid work, and a
// heavier tenant's jobs for a lighter tenant's of the same kind (issue 16, scenario c).
import { describe, expect, it } from 'vitest';
import { PassYielding } from '../../origin-gpu/pass-yielding.js';

const never = new AbortController().signal;

describe('PassYielding', () => {
  it('should make a free job wait for paid work, and never the other way round', async () => {
    const yielding = new PassYielding({ tenantFairness: true });
    yielding.started('free-1', 'a', false);
    expect(yielding.outrankedBy('free-1')).toBeNull();
    yielding.started('paid-1', 'b', true);
    expect(yielding.outrankedBy('free-1')).toBe('paid');
    expect(yielding.outrankedBy('paid-1')).toBeNull();
    const waiting = yielding.wait('free-1', 'paid', never, 10_000);
    yielding.ended('paid-1');
    expect(await waiting).toBe('paid_idle');
  });

  it('should make a tenant running more jobs here wait for one running fewer, of the same kind only', async () => {
    const yielding = new PassYielding({ tenantFairness: true });
    yielding.started('flood-1', 'flood', true);
    yielding.started('flood-2', 'flood', true);
    // One tenant alone, however many jobs it runs, waits for nobody.
    expect(yielding.outrankedBy('flood-1')).toBeNull();
    yielding.started('small-1', 'small', true);
    expect(yielding.outrankedBy('flood-1')).toBe('lighter_tenant');
    expect(yielding.outrankedBy('flood-2')).toBe('lighter_tenant');
    expect(yielding.outrankedBy('small-1')).toBeNull();
    // Tenants level with each other do not wait for each other.
    yielding.started('small-2', 'small', true);
    expect(yielding.outrankedBy('flood-1')).toBeNull();
    yielding.ended('small-2');
    // A free tenant's light load does not hold back paid work.
    yielding.started('free-light', 'someone', false);
    expect(yielding.outrankedBy('small-1')).toBeNull();
    expect(yielding.outrankedBy('free-light')).toBe('paid');

    const flood = yielding.wait('flood-1', 'lighter_tenant', never, 10_000);
    yielding.ended('free-light');
    yielding.ended('small-1');
    expect(await flood).toBe('lighter_done');
  });

  it('should end a wait at its cap or on abort, so no job starves', async () => {
    const yielding = new PassYielding({ tenantFairness: true });
    for (const [job, tenant] of [['flood-1', 'flood'], ['flood-2', 'flood'], ['small-1', 'small']] as const) yielding.started(job, tenant, true);
    expect(await yielding.wait('flood-1', 'lighter_tenant', never, 20)).toBe('timeout');
    const stop = new AbortController();
    const waiting = yielding.wait('flood-2', 'lighter_tenant', stop.signal, 10_000);
    stop.abort();
    expect(await waiting).toBe('aborted');
    expect(await yielding.wait('flood-2', 'lighter_tenant', stop.signal, 10_000)).toBe('aborted');
  });

  it('should keep only the paid rule when tenant fairness is off', () => {
    const yielding = new PassYielding({ tenantFairness: false });
    for (const [job, tenant] of [['flood-1', 'flood'], ['flood-2', 'flood'], ['small-1', 'small']] as const) yielding.started(job, tenant, true);
    expect(yielding.outrankedBy('flood-1')).toBeNull();
    yielding.started('free-1', 'x', false);
    expect(yielding.outrankedBy('free-1')).toBe('paid');
  });
});
