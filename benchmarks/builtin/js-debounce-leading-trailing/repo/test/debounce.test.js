'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { debounce } = require('../lib/debounce');

// Timers driven by hand: tick(ms) runs whatever falls due, in order.
function fakeTimers() {
  let now = 0;
  let nextId = 1;
  const due = new Map();
  return {
    setTimeout(fn, ms) {
      due.set(nextId, { at: now + ms, fn });
      return nextId++;
    },
    clearTimeout(id) {
      due.delete(id);
    },
    tick(ms) {
      const end = now + ms;
      for (;;) {
        let first = null;
        for (const [id, t] of due) if (t.at <= end && (!first || t.at < first[1].at)) first = [id, t];
        if (!first) break;
        due.delete(first[0]);
        now = first[1].at;
        first[1].fn();
      }
      now = end;
    },
  };
}

test('a single call runs after the wait', () => {
  const timers = fakeTimers();
  const calls = [];
  const f = debounce((x) => calls.push(x), 100, { timers });
  f('a');
  timers.tick(99);
  assert.deepStrictEqual(calls, []);
  timers.tick(1);
  assert.deepStrictEqual(calls, ['a']);
});
