'use strict';
const { Transform } = require('node:stream');

// Split a byte stream into lines, without their line endings: one string per line on the readable side.
class LineSplitter extends Transform {
  constructor({ encoding = 'utf8', maxLineLength = Infinity } = {}) {
    super({ readableObjectMode: true });
    this.encoding = encoding;
    this.maxLineLength = maxLineLength;
  }

  _transform(chunk, _encoding, done) {
    const lines = chunk.toString(this.encoding).split('\n');
    for (const line of lines) {
      if (line === '') continue;
      if (line.length > this.maxLineLength) {
        done(new RangeError(`line longer than ${this.maxLineLength} characters`));
        return;
      }
      this.push(line.replace(/\r$/, ''));
    }
    done();
  }
}

module.exports = { LineSplitter };
