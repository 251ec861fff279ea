'use strict';

// Parse a print-dialog page range such as "1-3,7" into page numbers.
function parseRanges(text, pageCount) {
  const pages = [];
  for (const item of text.split(',')) {
    const [start, end] = item.trim().split('-').map(Number);
    if (end === undefined) {
      pages.push(start);
    } else {
      for (let p = start; p <= end; p += 1) pages.push(p);
    }
  }
  return pages;
}

// Shortest range text for a sorted list of pages.
function formatRanges(pages) {
  return pages.join(',');
}

module.exports = { parseRanges, formatRanges };
