'use strict';

// Cache the results of an async function for `ttl` milliseconds (counted from when each resolved), by key.
// Concurrent calls with one key share the call in flight; rejections are not kept.
function memoizeAsync(fn, { ttl = Infinity, key = (...args) => JSON.stringify(args), now = Date.now } = {}) {
  const cache = new Map(); // key -> { promise, resolvedAt }: resolvedAt is null while the call is in flight

  function memoized(...args) {
    let k;
    try {
      k = key(...args);
    } catch (err) {
      return Promise.reject(err);
    }
    const hit = cache.get(k);
    if (hit && (hit.resolvedAt === null || now() - hit.resolvedAt < ttl)) return hit.promise;

    const entry = { promise: null, resolvedAt: null };
    // Only the entry still in the cache may update it: delete() or clear() during the call forgets it.
    entry.promise = new Promise((resolve) => resolve(fn(...args))).then(
      (value) => {
        if (cache.get(k) === entry) entry.resolvedAt = now();
        return value;
      },
      (err) => {
        if (cache.get(k) === entry) cache.delete(k);
        throw err;
      },
    );
    cache.set(k, entry);
    return entry.promise;
  }

  memoized.delete = (...args) => cache.delete(key(...args));
  memoized.clear = () => cache.clear();
  return memoized;
}

module.exports = { memoizeAsync };
