'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { Readable } = require('node:stream');
const { LineSplitter } = require('../src/lines');
const { summarize } = require('../src/logstats');

// Feed buffers to a splitter one by one and collect its lines.
function split(chunks, options) {
  return new Promise((resolve, reject) => {
    const splitter = new LineSplitter(options);
    const lines = [];
    splitter.on('data', (line) => lines.push(line));
    splitter.on('error', reject);
    splitter.on('end', () => resolve(lines));
    for (const chunk of chunks) splitter.write(chunk);
    splitter.end();
  });
}

// Every way of cutting buf into chunks of `size` bytes.
function cut(buf, size) {
  const out = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

const TEXT = 'héllo wörld\r\n\r\nZoë Müller\n日本語のログ\r\n\nlast line';
const LINES = ['héllo wörld', '', 'Zoë Müller', '日本語のログ', '', 'last line'];

test('same lines whatever the chunk size', async () => {
  const buf = Buffer.from(TEXT, 'utf8');
  for (let size = 1; size <= buf.length; size += 1) {
    assert.deepStrictEqual(await split(cut(buf, size)), LINES, `chunks of ${size} bytes`);
  }
});

test('every single cut point', async () => {
  const buf = Buffer.from('ab\r\ncd€\n\ne', 'utf8');
  for (let i = 0; i <= buf.length; i += 1) {
    assert.deepStrictEqual(await split([buf.subarray(0, i), buf.subarray(i)]), ['ab', 'cd€', '', 'e'], `cut at ${i}`);
  }
});

test('final newline, empty input, blank lines', async () => {
  assert.deepStrictEqual(await split([Buffer.from('a\nb\n')]), ['a', 'b']);
  assert.deepStrictEqual(await split([Buffer.from('a\nb')]), ['a', 'b']);
  assert.deepStrictEqual(await split([]), []);
  assert.deepStrictEqual(await split([Buffer.from('')]), []);
  assert.deepStrictEqual(await split([Buffer.from('\n')]), ['']);
  assert.deepStrictEqual(await split([Buffer.from('\n\n'), Buffer.from('\r\n')]), ['', '', '']);
  assert.deepStrictEqual(await split([Buffer.from('a\rb\n')]), ['a\rb']);
});

test('crlf split between chunks', async () => {
  assert.deepStrictEqual(await split([Buffer.from('one\r'), Buffer.from('\ntwo\r'), Buffer.from('\n')]),
    ['one', 'two']);
});

test('other encodings', async () => {
  const buf = Buffer.from('añb\nç€d\n', 'utf16le');
  assert.deepStrictEqual(await split(cut(buf, 3), { encoding: 'utf16le' }), ['añb', 'ç€d']);
  assert.deepStrictEqual(await split(cut(Buffer.from('caf\xe9\nna\xefve', 'latin1'), 1), { encoding: 'latin1' }),
    ['café', 'naïve']);
});

test('maxLineLength allows lines up to the limit', async () => {
  assert.deepStrictEqual(await split([Buffer.from('12345\r\n1'), Buffer.from('234\n')], { maxLineLength: 5 }),
    ['12345', '1234']);
  await assert.rejects(split([Buffer.from('123456\n')], { maxLineLength: 5 }), RangeError);
  await assert.rejects(split([Buffer.from('ok\n123'), Buffer.from('456')], { maxLineLength: 5 }), RangeError);
});

test('maxLineLength fires before the newline arrives', async () => {
  const splitter = new LineSplitter({ maxLineLength: 10 });
  const failed = new Promise((resolve) => splitter.on('error', resolve));
  splitter.on('data', () => {});
  for (let i = 0; i < 5; i += 1) splitter.write(Buffer.from('aaaaaaaa'));
  const outcome = await Promise.race([failed, new Promise((r) => setTimeout(() => r('no error'), 500))]);
  assert.ok(outcome instanceof RangeError, `expected a RangeError, got ${outcome}`);
  assert.ok(splitter.destroyed);
});

test('summarize a stream cut into small chunks', async () => {
  const log = 'INFO start\r\n\r\nWARN slow disk: Müller\r\nERROR 日本語\r\n\r\nINFO stop';
  const stats = await summarize(Readable.from(cut(Buffer.from(log), 3)));
  assert.deepStrictEqual(stats, { lines: 6, blank: 2, levels: { INFO: 2, WARN: 1, ERROR: 1 } });
});
