'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { Readable } = require('node:stream');
const { summarize } = require('../src/logstats');

test('one chunk', async () => {
  const stats = await summarize(Readable.from([Buffer.from('INFO start\nERROR disk full\nINFO stop\n')]));
  assert.deepStrictEqual(stats, { lines: 3, blank: 0, levels: { INFO: 2, ERROR: 1 } });
});
