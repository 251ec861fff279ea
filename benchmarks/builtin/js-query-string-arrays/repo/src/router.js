'use strict';
const { parseQuery } = require('./querystring');

// Split a request URL into its path and parsed query.
function parseUrl(url) {
  const i = url.indexOf('?');
  if (i === -1) return { path: url, query: {} };
  return { path: url.slice(0, i), query: parseQuery(url.slice(i)) };
}

module.exports = { parseUrl };
