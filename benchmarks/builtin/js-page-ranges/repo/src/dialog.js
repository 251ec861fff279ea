'use strict';
const { parseRanges, formatRanges } = require('./ranges');

// Validate the page-range field: returns { ok, pages, text } or { ok: false, error }.
function checkField(text, pageCount) {
  try {
    const pages = parseRanges(text, pageCount);
    return { ok: true, pages, text: formatRanges(pages) };
  } catch (err) {
    return { ok: false, error: err.message };
  }
}

module.exports = { checkField };
