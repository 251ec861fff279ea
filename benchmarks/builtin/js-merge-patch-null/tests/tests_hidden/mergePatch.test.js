'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { applyMergePatch } = require('../src/mergePatch');
const { effective, patchSettings } = require('../src/settings');

// The examples of RFC 7386, appendix A.
const RFC = [
  [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
  [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
  [{ a: 'b' }, { a: null }, {}],
  [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
  [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
  [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
  [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
  [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
  [['a', 'b'], ['c', 'd'], ['c', 'd']],
  [{ a: 'b' }, ['c'], ['c']],
  [{ a: 'foo' }, null, null],
  [{ a: 'foo' }, 'bar', 'bar'],
  [{ e: null }, { a: 1 }, { e: null, a: 1 }],
  [[1, 2], { a: 'b', c: null }, { a: 'b' }],
  [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
];

RFC.forEach(([target, patch, expected], i) => {
  test(`RFC 7386 example ${i + 1}`, () => {
    assert.deepStrictEqual(applyMergePatch(target, patch), expected);
  });
});

test('arrays are replaced, not merged', () => {
  assert.deepStrictEqual(applyMergePatch({ tags: ['x', 'y'] }, { tags: ['a'] }), { tags: ['a'] });
  assert.deepStrictEqual(applyMergePatch({ m: { n: [1, 2, 3] } }, { m: { n: [] } }), { m: { n: [] } });
});

test('new nested objects leave out null members', () => {
  assert.deepStrictEqual(
    applyMergePatch({ theme: 'dark' }, { notifications: { email: { digest: null, enabled: true } } }),
    { theme: 'dark', notifications: { email: { enabled: true } } },
  );
});

test('object patch on a non-object value', () => {
  assert.deepStrictEqual(applyMergePatch({ editor: 'vim' }, { editor: { tabs: 2 } }), { editor: { tabs: 2 } });
  assert.deepStrictEqual(applyMergePatch({ editor: ['vim'] }, { editor: { tabs: 2 } }), { editor: { tabs: 2 } });
  assert.deepStrictEqual(applyMergePatch('text', { a: 1 }), { a: 1 });
  assert.deepStrictEqual(applyMergePatch(undefined, { a: { b: null } }), { a: {} });
});

test('arguments are not modified and nothing is shared', () => {
  const target = { a: { b: 1, c: [1, { d: 2 }] }, e: 'x', f: { g: 1 } };
  const patch = { a: { b: null, n: { deep: [1] } }, e: null };
  const targetCopy = JSON.parse(JSON.stringify(target));
  const patchCopy = JSON.parse(JSON.stringify(patch));
  const result = applyMergePatch(target, patch);
  assert.deepStrictEqual(result, { a: { c: [1, { d: 2 }], n: { deep: [1] } }, f: { g: 1 } });
  assert.deepStrictEqual(target, targetCopy);
  assert.deepStrictEqual(patch, patchCopy);
  result.a.c[1].d = 99;
  result.a.n.deep.push(2);
  result.f.g = 5;
  assert.deepStrictEqual(target, targetCopy);
  assert.deepStrictEqual(patch, patchCopy);
});

test('__proto__ and constructor are ordinary names', () => {
  const patch = JSON.parse('{"__proto__": {"isAdmin": true}, "constructor": {"prototype": {"polluted": 1}}}');
  const result = applyMergePatch({ theme: 'dark' }, patch);
  assert.strictEqual(({}).isAdmin, undefined);
  assert.strictEqual(({}).polluted, undefined);
  assert.strictEqual(Object.getPrototypeOf(result), Object.prototype);
  assert.strictEqual(result.isAdmin, undefined);
  assert.ok(Object.prototype.hasOwnProperty.call(result, '__proto__'));
  assert.deepStrictEqual(Object.keys(result).sort(), ['__proto__', 'constructor', 'theme']);
  assert.deepStrictEqual(JSON.parse(JSON.stringify(result)), JSON.parse(
    '{"theme": "dark", "__proto__": {"isAdmin": true}, "constructor": {"prototype": {"polluted": 1}}}'));
  const nested = applyMergePatch({}, JSON.parse('{"a": {"__proto__": {"x": 1}}}'));
  assert.strictEqual(nested.a.x, undefined);
  assert.strictEqual(({}).x, undefined);
});

test('settings history and defaults', () => {
  const history = [];
  patchSettings(history, '{"theme": "dark", "tags": ["x", "y"]}');
  patchSettings(history, '{"tags": ["a"], "notifications": {"email": {"enabled": true, "digest": null}}}');
  patchSettings(history, '{"theme": null}');
  assert.deepStrictEqual(history, [
    { theme: 'dark', tags: ['x', 'y'] },
    { theme: 'dark', tags: ['a'], notifications: { email: { enabled: true } } },
    { tags: ['a'], notifications: { email: { enabled: true } } },
  ]);
  assert.strictEqual(effective(history[2]).theme, 'light');
});
