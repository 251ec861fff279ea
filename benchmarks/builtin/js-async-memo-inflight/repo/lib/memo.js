'use strict';

// Cache the results of an async function for `ttl` milliseconds, by key.
function memoizeAsync(fn, { ttl = Infinity, key = (...args) => String(args[0]), now = Date.now } = {}) {
  const cache = new Map(); // key -> { value, time }

  async function memoized(...args) {
    const k = key(...args);
    const hit = cache.get(k);
    if (hit && now() - hit.time < ttl) return hit.value;
    const value = await fn(...args);
    cache.set(k, { value, time: now() });
    return value;
  }

  memoized.delete = (...args) => cache.delete(key(...args));
  memoized.clear = () => cache.clear();
  return memoized;
}

module.exports = { memoizeAsync };
