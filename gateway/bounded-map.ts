/**
 * Sets `key` as the newest entry of an insertion-ordered map and, past
 * `limit` entries, drops the oldest: the per-isolate caches' one eviction rule.
 */
export function setNewest<K, V>(map: Map<K, V>, key: K, value: V, limit: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > limit) map.delete(map.keys().next().value as K);
}
