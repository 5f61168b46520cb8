import { describe, expect, it } from 'vitest';
import { QueuedIndex } from '../../gateway/objects/queued-index.js';

const entry = (priority: number, createdAt: number, tenantId = 't') => ({ priority, tenantId, createdAt });

describe('QueuedIndex', () => {
  it('should count the jobs ahead in lease order without fairness: higher priority first, then older', () => {
    const index = new QueuedIndex([entry(0, 10, 'a'), entry(0, 30, 'b'), entry(2, 20), entry(2, 40)], false);
    expect(index.size).toBe(4);
    expect(index.ahead(entry(2, 20))).toBe(0);
    expect(index.ahead(entry(2, 40))).toBe(1);
    expect(index.ahead(entry(0, 10, 'a'))).toBe(2);
    expect(index.ahead(entry(0, 30, 'b'))).toBe(3);
    expect(index.count(0)).toBe(2);
    expect(index.nextTenant(0)).toBeUndefined();
    index.remove(entry(2, 20));
    index.add(entry(1, 5));
    expect(index.ahead(entry(0, 30, 'b'))).toBe(3);
    expect(index.ahead(entry(1, 5))).toBe(1);
    index.remove(entry(0, 99, 'b'));
    expect(index.size).toBe(4);
    expect(index.highestPriority()).toBe(2);
    expect(index.highestPriority(3)).toBeUndefined();
  });

  it('should pick the least-served tenant, starting a newcomer at the least virtual time of those waiting', () => {
    const index = new QueuedIndex([], true);
    for (let i = 0; i < 10; i++) index.add(entry(2, i, 'flood'));
    // The flood tenant is alone: it is served, and its virtual time grows.
    for (let i = 0; i < 3; i++) {
      expect(index.nextTenant(2)).toBe('flood');
      index.charge(2, 'flood', 1);
      index.remove(entry(2, i, 'flood'));
    }
    // A newcomer starts level with the flood, not 3 units behind it: idle time banks no credit.
    index.add(entry(2, 100, 'small'));
    index.add(entry(2, 101, 'small'));
    expect(index.ahead(entry(2, 100, 'small'))).toBe(1);
    // Level with the flood, the newcomer wins the tie: it has fewer jobs waiting.
    expect(index.nextTenant(2)).toBe('small');
    const waiting: Record<string, number[]> = { flood: [3, 4, 5, 6, 7, 8, 9], small: [100, 101] };
    const order: string[] = [];
    for (let i = 0; i < 4; i++) {
      const tenant = index.nextTenant(2)!;
      order.push(tenant);
      index.charge(2, tenant, 1);
      index.remove(entry(2, waiting[tenant]!.shift()!, tenant));
    }
    expect(order.filter((tenant) => tenant === 'small')).toHaveLength(2);
    expect(order.slice(0, 2)).toEqual(['small', 'flood']);
    // Work, not job count, is shared: a tenant charged 4 units waits for the other's 4 single ones.
    index.add(entry(1, 200, 'big'));
    index.add(entry(1, 201, 'big'));
    for (let i = 0; i < 4; i++) index.add(entry(1, 210 + i, 'thin'));
    expect(index.nextTenant(1)).toMatch(/big|thin/);
    index.charge(1, 'big', 4);
    index.remove(entry(1, 200, 'big'));
    const after: string[] = [];
    for (let i = 0; i < 4; i++) {
      const tenant = index.nextTenant(1)!;
      after.push(tenant);
      index.charge(1, tenant, 1);
      index.remove(entry(1, 210 + i, 'thin'));
    }
    expect(after).toEqual(['thin', 'thin', 'thin', 'thin']);
  });

  it('should never pick an excepted tenant, with fairness on or off, and say when only excepted tenants wait', () => {
    for (const fair of [true, false]) {
      const index = new QueuedIndex([entry(2, 1, 'flood'), entry(2, 2, 'flood'), entry(2, 3, 'other'), entry(1, 0, 'plus')], fair);
      const floodOut = new Set(['flood']);
      expect(index.nextTenant(2, floodOut)).toBe('other');
      expect(index.countOutside(2, floodOut)).toBe(1);
      expect(index.highestPriority(-Infinity, floodOut)).toBe(2);
      index.remove(entry(2, 3, 'other'));
      // Only the excepted tenant is left at priority 2: the pick falls to the next priority with someone else.
      expect(index.highestPriority(-Infinity, floodOut)).toBe(1);
      expect(index.nextTenant(2, floodOut)).toBeUndefined();
      expect(index.countOutside(2, floodOut)).toBe(0);
      expect(index.highestPriority(2, floodOut)).toBeUndefined();
      expect(index.highestPriority(-Infinity, new Set(['flood', 'plus']))).toBeUndefined();
      // An empty exception changes nothing.
      expect(index.highestPriority(-Infinity, new Set())).toBe(2);
    }
  });
});
