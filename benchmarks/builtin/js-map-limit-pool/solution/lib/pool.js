'use strict';

// Map items through an async function with at most `limit` calls in flight.
// Results keep input order; the first failure rejects the whole map and stops new calls.
function mapLimit(items, limit, fn) {
  if (!Number.isInteger(limit) || limit < 1) {
    return Promise.reject(new RangeError(`limit must be a positive integer, got ${limit}`));
  }
  return new Promise((resolve, reject) => {
    const results = new Array(items.length);
    let next = 0;
    let finished = 0;
    let failed = false;
    if (items.length === 0) {
      resolve(results);
      return;
    }
    const startNext = () => {
      if (failed || next >= items.length) return;
      const index = next;
      next += 1;
      new Promise((res) => res(fn(items[index], index))).then(
        (value) => {
          results[index] = value;
          finished += 1;
          if (finished === items.length) resolve(results);
          else startNext();
        },
        (err) => {
          failed = true;
          reject(err);
        },
      );
    };
    for (let i = 0; i < Math.min(limit, items.length); i += 1) startNext();
  });
}

module.exports = { mapLimit };
