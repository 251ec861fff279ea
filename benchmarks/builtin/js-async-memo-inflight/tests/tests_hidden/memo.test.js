'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { memoizeAsync } = require('../lib/memo');
const { createUsers } = require('../lib/users');

function deferred() {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

const tick = () => new Promise((r) => setImmediate(r));

// fn whose calls are settled by hand, in order: calls[i].resolve(...)
function controlled() {
  const calls = [];
  const fn = (...args) => {
    const d = deferred();
    calls.push({ args, ...d });
    return d.promise;
  };
  return { fn, calls };
}

test('concurrent calls share the call in flight', async () => {
  const { fn, calls } = controlled();
  const m = memoizeAsync(fn);
  const ps = [m(1), m(1), m(1), m(2)];
  await tick();
  assert.strictEqual(calls.length, 2);
  calls[0].resolve('one');
  calls[1].resolve('two');
  assert.deepStrictEqual(await Promise.all(ps), ['one', 'one', 'one', 'two']);
  assert.strictEqual(await m(1), 'one');
  assert.strictEqual(calls.length, 2);
});

test('waiters share a rejection, which is not cached', async () => {
  const { fn, calls } = controlled();
  const m = memoizeAsync(fn);
  const a = m('x');
  const b = m('x');
  await tick();
  assert.strictEqual(calls.length, 1);
  calls[0].reject(new Error('boom'));
  await assert.rejects(a, /boom/);
  await assert.rejects(b, /boom/);
  const c = m('x');
  await tick();
  assert.strictEqual(calls.length, 2);
  calls[1].resolve('ok');
  assert.strictEqual(await c, 'ok');
  assert.strictEqual(await m('x'), 'ok');
  assert.strictEqual(calls.length, 2);
});

test('synchronous throw gives a rejected promise and is not cached', async () => {
  let n = 0;
  const m = memoizeAsync(() => { n += 1; if (n === 1) throw new Error('sync'); return 'fine'; });
  let p;
  assert.doesNotThrow(() => { p = m(); });
  await assert.rejects(p, /sync/);
  assert.strictEqual(await m(), 'fine');
  assert.strictEqual(await m(), 'fine');
  assert.strictEqual(n, 2);
});

test('ttl counts from when the value resolved', async () => {
  let t = 0;
  const { fn, calls } = controlled();
  const m = memoizeAsync(fn, { ttl: 100, now: () => t });
  const p = m('k');
  t = 50;
  calls[0].resolve('v1');
  assert.strictEqual(await p, 'v1');
  t = 120;
  assert.strictEqual(await m('k'), 'v1');
  assert.strictEqual(calls.length, 1);
  t = 149;
  assert.strictEqual(await m('k'), 'v1');
  t = 150;
  const q = m('k');
  await tick();
  assert.strictEqual(calls.length, 2);
  calls[1].resolve('v2');
  assert.strictEqual(await q, 'v2');
});

test('a long call in flight is shared even past the ttl', async () => {
  let t = 0;
  const { fn, calls } = controlled();
  const m = memoizeAsync(fn, { ttl: 10, now: () => t });
  const a = m('slow');
  t = 500;
  const b = m('slow');
  await tick();
  assert.strictEqual(calls.length, 1);
  calls[0].resolve('done');
  assert.deepStrictEqual(await Promise.all([a, b]), ['done', 'done']);
});

test('default key uses every argument', async () => {
  let calls = 0;
  const m = memoizeAsync(async (id, size) => { calls += 1; return `${id}@${size}`; });
  assert.strictEqual(await m(7, 32), '7@32');
  assert.strictEqual(await m(7, 128), '7@128');
  assert.strictEqual(await m(7, 32), '7@32');
  assert.strictEqual(await m('7', 32), '7@32');
  assert.strictEqual(calls, 3);
});

test('delete during a call in flight: waiters get the result, the cache does not', async () => {
  const { fn, calls } = controlled();
  const m = memoizeAsync(fn);
  const a = m(1);
  await tick();
  m.delete(1);
  const b = m(1);
  await tick();
  assert.strictEqual(calls.length, 2);
  calls[1].resolve('new');
  calls[0].resolve('old');
  assert.strictEqual(await a, 'old');
  assert.strictEqual(await b, 'new');
  assert.strictEqual(await m(1), 'new');
  assert.strictEqual(calls.length, 2);
});

test('clear during a call in flight', async () => {
  const { fn, calls } = controlled();
  const m = memoizeAsync(fn);
  const a = m('a');
  m.clear();
  calls[0].resolve('stale');
  assert.strictEqual(await a, 'stale');
  const b = m('a');
  await tick();
  assert.strictEqual(calls.length, 2);
  calls[1].resolve('fresh');
  assert.strictEqual(await b, 'fresh');
});

test('users: one fetch per user, renames are not undone by a fetch in flight', async () => {
  let t = 1000;
  const fetches = [];
  const names = { 1: 'ann', 2: 'bob' };
  const api = {
    fetchUser(id) {
      const d = deferred();
      const snapshot = names[id];
      fetches.push({ id, resolve: () => d.resolve({ id, name: snapshot }) });
      return d.promise;
    },
    fetchAvatar: async (id, size) => `avatar-${id}-${size}.png`,
    rename: async (id, name) => { names[id] = name; },
  };
  const users = createUsers(api, { now: () => t });
  const page = users.authors([1, 2, 1, 1, 2, 1].map((authorId) => ({ authorId })));
  await tick();
  assert.deepStrictEqual(fetches.map((f) => f.id), [1, 2]);
  fetches.forEach((f) => f.resolve());
  assert.deepStrictEqual((await page).map((u) => u.name), ['ann', 'bob', 'ann', 'ann', 'bob', 'ann']);

  assert.strictEqual(await users.getAvatar(1, 32), 'avatar-1-32.png');
  assert.strictEqual(await users.getAvatar(1, 128), 'avatar-1-128.png');

  t += 61 * 1000; // the cached users expire
  const before = users.getUser(1); // a fetch of the old name is in flight...
  await tick();
  await users.renameUser(1, 'anna'); // ...when the user is renamed
  fetches[2].resolve();
  assert.strictEqual((await before).name, 'ann');
  const after = users.getUser(1);
  await tick();
  assert.strictEqual(fetches.length, 4);
  fetches[3].resolve();
  assert.strictEqual((await after).name, 'anna');
  assert.strictEqual((await users.getUser(1)).name, 'anna');
});
