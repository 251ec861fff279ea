'use strict';
// Query-string parsing and building for the router.

function parseQuery(text) {
  const result = {};
  const body = text.startsWith('?') ? text.slice(1) : text;
  for (const piece of body.split('&')) {
    const [key, value] = piece.split('=');
    result[decodeURIComponent(key)] = decodeURIComponent(value);
  }
  return result;
}

function buildQuery(params) {
  return Object.entries(params)
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
}

module.exports = { parseQuery, buildQuery };
