'use strict';
const { mapLimit } = require('./pool');

// Fetch every page with a bounded number of concurrent requests; returns [{ url, size }] in input order.
async function crawl(urls, fetchPage, concurrency = 4) {
  const bodies = await mapLimit(urls, concurrency, (url) => fetchPage(url));
  return urls.map((url, i) => ({ url, size: bodies[i].length }));
}

module.exports = { crawl };
