'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { mapLimit } = require('../lib/pool');
const { crawl } = require('../lib/crawler');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function tracker() {
  const t = { active: 0, max: 0, started: [] };
  t.run = async (item, index, ms) => {
    t.active += 1;
    t.max = Math.max(t.max, t.active);
    t.started.push(index);
    await sleep(ms);
    t.active -= 1;
    return item * 10;
  };
  return t;
}

function withTimeout(promise, ms = 1000) {
  return Promise.race([promise, sleep(ms).then(() => { throw new Error('did not settle'); })]);
}

test('limit respected, input order kept', async () => {
  const t = tracker();
  const delays = [30, 5, 20, 1, 10, 2, 15, 3];
  const out = await mapLimit(delays.map((_, i) => i), 3, (item, index) => t.run(item, index, delays[index]));
  assert.deepStrictEqual(out, [0, 10, 20, 30, 40, 50, 60, 70]);
  assert.strictEqual(t.max, 3);
});

test('no batching: a slot is reused as soon as it frees', async () => {
  let slowDone = false;
  const startedWhileSlowBusy = [];
  await mapLimit([0, 1, 2, 3], 2, async (item) => {
    if (item === 0) {
      await sleep(60);
      slowDone = true;
      return item;
    }
    if (!slowDone) startedWhileSlowBusy.push(item);
    await sleep(5);
    return item;
  });
  assert.deepStrictEqual(startedWhileSlowBusy, [1, 2, 3]);
});

test('rejection propagates and stops new calls', async () => {
  const calls = [];
  const p = mapLimit([1, 2, 3, 4, 5, 6], 2, async (item) => {
    calls.push(item);
    await sleep(5);
    if (item === 2) throw new Error('boom');
    return item;
  });
  await assert.rejects(withTimeout(p), /boom/);
  await sleep(30);
  assert.ok(calls.length <= 3, `started ${calls.length} calls`);
});

test('synchronous throw rejects', async () => {
  await assert.rejects(withTimeout(mapLimit([1], 1, () => { throw new Error('sync'); })), /sync/);
});

test('edge cases', async () => {
  assert.deepStrictEqual(await mapLimit([], 2, async (x) => x), []);
  await assert.rejects(mapLimit([1], 0, async (x) => x), RangeError);
  assert.deepStrictEqual(await mapLimit(['a', 'b'], 5, async (x, i) => `${x}${i}`), ['a0', 'b1']);
});

test('crawler', async () => {
  const pages = await crawl(['/a', '/bb', '/c'], async (u) => { await sleep(u.length === 3 ? 20 : 1); return u.repeat(2); }, 2);
  assert.deepStrictEqual(pages, [{ url: '/a', size: 4 }, { url: '/bb', size: 6 }, { url: '/c', size: 4 }]);
});
