'use strict';
const { Transform } = require('node:stream');
const { StringDecoder } = require('node:string_decoder');

// Split a byte stream into lines, without their line endings: one string per line on the readable side.
// Chunks may end anywhere - inside a line, a multi-byte character or a "\r\n" - so the text after the last
// newline is kept until more arrives (or the input ends), and bytes are decoded by a StringDecoder, which
// holds back an incomplete character.
class LineSplitter extends Transform {
  constructor({ encoding = 'utf8', maxLineLength = Infinity } = {}) {
    super({ readableObjectMode: true });
    this.decoder = new StringDecoder(encoding);
    this.maxLineLength = maxLineLength;
    this.pending = '';
  }

  _transform(chunk, _encoding, done) {
    done(this.take(this.decoder.write(chunk), false));
  }

  _flush(done) {
    done(this.take(this.decoder.end(), true));
  }

  // Push the complete lines of pending + text; at the end, also what remains. Returns an error or null.
  take(text, atEnd) {
    this.pending += text;
    let start = 0;
    let nl;
    while ((nl = this.pending.indexOf('\n', start)) !== -1) {
      const end = nl > start && this.pending[nl - 1] === '\r' ? nl - 1 : nl;
      const error = this.emitLine(this.pending.slice(start, end));
      if (error) return error;
      start = nl + 1;
    }
    this.pending = this.pending.slice(start);
    if (atEnd) {
      const rest = this.pending;
      this.pending = '';
      return rest === '' ? null : this.emitLine(rest);
    }
    // A pending line already too long is refused now, not after megabytes more. (Its last character may be
    // the "\r" of a "\r\n" still to come, which does not count.)
    const pendingLength = this.pending.endsWith('\r') ? this.pending.length - 1 : this.pending.length;
    return pendingLength > this.maxLineLength ? this.tooLong() : null;
  }

  emitLine(line) {
    if (line.length > this.maxLineLength) return this.tooLong();
    this.push(line);
    return null;
  }

  tooLong() {
    return new RangeError(`line longer than ${this.maxLineLength} characters`);
  }
}

module.exports = { LineSplitter };
