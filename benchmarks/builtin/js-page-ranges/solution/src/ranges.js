'use strict';

function page(text, item, pageCount) {
  if (!/^\d+$/.test(text)) throw new RangeError(`invalid page range item "${item}"`);
  const n = Number(text);
  if (n < 1 || n > pageCount) throw new RangeError(`page out of range in "${item}" (1-${pageCount})`);
  return n;
}

// Parse a print-dialog page range such as "1-3,7,10-" into sorted, unique page numbers.
function parseRanges(text, pageCount) {
  const pages = new Set();
  for (const raw of text.split(',')) {
    const item = raw.trim();
    const m = /^(\d*)\s*-\s*(\d*)$/.exec(item);
    if (!m) {
      pages.add(page(item, item, pageCount));
      continue;
    }
    if (m[1] === '' && m[2] === '') throw new RangeError(`invalid page range item "${item}"`);
    const start = m[1] === '' ? 1 : page(m[1], item, pageCount);
    const end = m[2] === '' ? pageCount : page(m[2], item, pageCount);
    if (start > end) throw new RangeError(`reversed page range "${item}"`);
    for (let p = start; p <= end; p += 1) pages.add(p);
  }
  return [...pages].sort((a, b) => a - b);
}

// Shortest range text for a sorted list of pages.
function formatRanges(pages) {
  const parts = [];
  let i = 0;
  while (i < pages.length) {
    let j = i;
    while (j + 1 < pages.length && pages[j + 1] === pages[j] + 1) j += 1;
    parts.push(j === i ? `${pages[i]}` : `${pages[i]}-${pages[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

module.exports = { parseRanges, formatRanges };
