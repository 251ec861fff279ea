'use strict';
// Query-string parsing and building for the router.

function decode(text) {
  return decodeURIComponent(text.replace(/\+/g, ' '));
}

function parseQuery(text) {
  const result = {};
  const body = text.startsWith('?') ? text.slice(1) : text;
  for (const piece of body.split('&')) {
    if (!piece) continue;
    const eq = piece.indexOf('=');
    const key = decode(eq === -1 ? piece : piece.slice(0, eq));
    const value = eq === -1 ? '' : decode(piece.slice(eq + 1));
    if (!Object.prototype.hasOwnProperty.call(result, key)) {
      result[key] = value;
    } else if (Array.isArray(result[key])) {
      result[key].push(value);
    } else {
      result[key] = [result[key], value];
    }
  }
  return result;
}

function buildQuery(params) {
  const pieces = [];
  for (const [key, value] of Object.entries(params)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      pieces.push(`${encodeURIComponent(key)}=${encodeURIComponent(v)}`);
    }
  }
  return pieces.join('&');
}

module.exports = { parseQuery, buildQuery };
