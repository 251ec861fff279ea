'use strict';

const HEX = /^#?([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i;

// Parse a CSS hex colour ("#rgb", "#rgba", "#rrggbb" or "#rrggbbaa", "#" optional) into 0-255 channels and an
// alpha between 0 and 1; null when the text is not one.
function parseHex(text) {
  const m = typeof text === 'string' ? HEX.exec(text.trim()) : null;
  if (!m) return null;
  let hex = m[1];
  if (hex.length <= 4) hex = [...hex].map((d) => d + d).join('');
  const channel = (i) => parseInt(hex.slice(i, i + 2), 16);
  const a = hex.length === 8 ? Math.round((channel(6) / 255) * 1000) / 1000 : 1;
  return { r: channel(0), g: channel(2), b: channel(4), a };
}

function byte(n) {
  return Math.round(n).toString(16).padStart(2, '0');
}

// "#rrggbb", or "#rrggbbaa" for a translucent colour.
function toHex({ r, g, b, a = 1 }) {
  const alpha = a < 1 ? byte(a * 255) : '';
  return `#${byte(r)}${byte(g)}${byte(b)}${alpha}`;
}

module.exports = { parseHex, toHex };
