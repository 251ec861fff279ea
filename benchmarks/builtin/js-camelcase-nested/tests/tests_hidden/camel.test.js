'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { camelizeKeys, toCamel } = require('../src/case');
const { decodeResponse } = require('../src/api');

test('nested objects and arrays', () => {
  const input = { user_id: 1, home_address: { zip_code: '123' }, order_items: [{ unit_price: 5 }, 7, null] };
  assert.deepStrictEqual(camelizeKeys(input), {
    userId: 1, homeAddress: { zipCode: '123' }, orderItems: [{ unitPrice: 5 }, 7, null],
  });
});

test('keys', () => {
  assert.strictEqual(toCamel('created_at_utc'), 'createdAtUtc');
  assert.strictEqual(toCamel('_id'), '_id');
  assert.strictEqual(toCamel('already'), 'already');
  assert.strictEqual(toCamel('line_2'), 'line2');
});

test('non-plain values kept', () => {
  const when = new Date(0);
  const out = camelizeKeys({ sent_at: when, tags_list: ['a_b'], note: null });
  assert.strictEqual(out.sentAt, when);
  assert.deepStrictEqual(out.tagsList, ['a_b']);
  assert.strictEqual(out.note, null);
  assert.deepStrictEqual(camelizeKeys([{ a_b: 1 }]), [{ aB: 1 }]);
});

test('decode response', () => {
  assert.deepStrictEqual(decodeResponse('{"page_info":{"has_next":true},"items":[{"item_id":3}]}'),
    { pageInfo: { hasNext: true }, items: [{ itemId: 3 }] });
});
