import { describe, expect, it } from 'vitest';
import { QueuedIndex } from '../../gateway/objects/queued-index.js';

describe('QueuedIndex', () => {
  it('should count the jobs ahead in lease order: higher priority first, then older', () => {
    const index = new QueuedIndex([
      { priority: 0, createdAt: 10 },
      { priority: 0, createdAt: 30 },
      { priority: 2, createdAt: 20 },
      { priority: 2, createdAt: 40 },
    ]);
    expect(index.size).toBe(4);
    expect(index.ahead(2, 20)).toBe(0);
    expect(index.ahead(2, 40)).toBe(1);
    expect(index.ahead(0, 10)).toBe(2);
    expect(index.ahead(0, 30)).toBe(3);
    expect(index.count(0)).toBe(2);
    index.remove(2, 20);
    index.add(1, 5);
    expect(index.ahead(0, 30)).toBe(3);
    expect(index.ahead(1, 5)).toBe(1);
    index.remove(0, 99);
    expect(index.size).toBe(4);
  });
});
