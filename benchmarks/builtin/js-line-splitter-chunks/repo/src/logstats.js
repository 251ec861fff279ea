'use strict';
const { pipeline } = require('node:stream/promises');
const { LineSplitter } = require('./lines');

// Count a log's lines: all of them, blank ones, and those of each level ("ERROR ...", "WARN ...").
async function summarize(readable, options = {}) {
  const stats = { lines: 0, blank: 0, levels: {} };
  await pipeline(readable, new LineSplitter(options), async (lines) => {
    for await (const line of lines) {
      stats.lines += 1;
      if (line.trim() === '') {
        stats.blank += 1;
        continue;
      }
      const level = /^([A-Z]+) /.exec(line);
      if (level) stats.levels[level[1]] = (stats.levels[level[1]] || 0) + 1;
    }
  });
  return stats;
}

module.exports = { summarize };
