'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { debounce } = require('../lib/debounce');
const { SearchBox } = require('../lib/search-box');

// Timers driven by hand: tick(ms) runs whatever falls due, in time order.
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
    get active() {
      return due.size;
    },
  };
}

function setup(options = {}, wait = 100) {
  const timers = fakeTimers();
  const calls = [];
  const f = debounce((...args) => calls.push(args.join(',')), wait, { ...options, timers });
  return { timers, calls, f };
}

test('trailing call waits for the last call and uses its arguments', () => {
  const { timers, calls, f } = setup();
  f('a');
  timers.tick(50);
  f('b', 1);
  timers.tick(40);
  f('c', 2);
  timers.tick(60); // t=150: only 60 ms since the last call
  assert.deepStrictEqual(calls, []);
  timers.tick(40); // t=190
  assert.deepStrictEqual(calls, ['c,2']);
  timers.tick(1000);
  assert.deepStrictEqual(calls, ['c,2']);
});

test('separate bursts each run once', () => {
  const { timers, calls, f } = setup();
  f(1);
  timers.tick(150);
  f(2);
  f(3);
  timers.tick(150);
  assert.deepStrictEqual(calls, ['1', '3']);
});

test('this of the last call is kept', () => {
  const timers = fakeTimers();
  const seen = [];
  const method = debounce(function () { seen.push(this.name); }, 10, { timers });
  const a = { name: 'a', method };
  const b = { name: 'b', method };
  a.method();
  b.method();
  timers.tick(10);
  assert.deepStrictEqual(seen, ['b']);
});

test('leading only', () => {
  const { timers, calls, f } = setup({ leading: true, trailing: false });
  f('a');
  assert.deepStrictEqual(calls, ['a']);
  timers.tick(50);
  f('b');
  timers.tick(70);
  f('c'); // still the same burst: 70 ms after the previous call
  timers.tick(99);
  assert.deepStrictEqual(calls, ['a']);
  timers.tick(1); // burst over at t=220
  f('d');
  assert.deepStrictEqual(calls, ['a', 'd']);
  timers.tick(500);
  assert.deepStrictEqual(calls, ['a', 'd']);
});

test('leading and trailing', () => {
  const { timers, calls, f } = setup({ leading: true });
  f('once');
  timers.tick(200);
  assert.deepStrictEqual(calls, ['once']);
  f('x');
  f('y');
  f('z');
  assert.deepStrictEqual(calls, ['once', 'x']);
  timers.tick(100);
  assert.deepStrictEqual(calls, ['once', 'x', 'z']);
  f('next');
  assert.deepStrictEqual(calls, ['once', 'x', 'z', 'next']);
});

test('cancel drops the pending call and ends the burst', () => {
  const { timers, calls, f } = setup({ leading: true });
  f('a');
  f('b');
  f.cancel();
  timers.tick(500);
  assert.deepStrictEqual(calls, ['a']);
  f('c');
  assert.deepStrictEqual(calls, ['a', 'c']);
  f.cancel();
  f.cancel();
  assert.strictEqual(timers.active, 0);
});

test('flush runs the pending call now', () => {
  const { timers, calls, f } = setup();
  f.flush();
  assert.deepStrictEqual(calls, []);
  f('a');
  f('b');
  f.flush();
  assert.deepStrictEqual(calls, ['b']);
  timers.tick(500);
  assert.deepStrictEqual(calls, ['b']);
  f.flush();
  assert.deepStrictEqual(calls, ['b']);
  f('c');
  timers.tick(100);
  assert.deepStrictEqual(calls, ['b', 'c']);
});

test('flush after a leading call alone has nothing to run', () => {
  const { timers, calls, f } = setup({ leading: true });
  f('a');
  f.flush();
  assert.deepStrictEqual(calls, ['a']);
  f('b'); // the burst ended with the flush
  assert.deepStrictEqual(calls, ['a', 'b']);
  timers.tick(500);
  assert.deepStrictEqual(calls, ['a', 'b']);
});

test('search box', () => {
  const timers = fakeTimers();
  const searches = [];
  const box = new SearchBox((q) => searches.push(q), { wait: 250, timers });
  for (const text of ['r', 're', 'rea']) {
    box.input(text);
    timers.tick(100);
  }
  timers.tick(150);
  assert.deepStrictEqual(searches, ['rea']);
  box.input('reac');
  box.input('react');
  box.submit();
  assert.deepStrictEqual(searches, ['rea', 'react']);
  timers.tick(1000);
  assert.deepStrictEqual(searches, ['rea', 'react']);
  box.input('x');
  box.clear();
  timers.tick(1000);
  assert.deepStrictEqual(searches, ['rea', 'react']);
});
