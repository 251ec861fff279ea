'use strict';

// Parse a CSS hex colour ("#rrggbb" or "#rgb") into 0-255 channels and an alpha between 0 and 1.
function parseHex(text) {
  const hex = text.replace('#', '');
  if (hex.length === 3) {
    return {
      r: parseInt(hex[0], 16),
      g: parseInt(hex[1], 16),
      b: parseInt(hex[2], 16),
      a: 1,
    };
  }
  return {
    r: parseInt(hex.slice(0, 2), 16),
    g: parseInt(hex.slice(2, 4), 16),
    b: parseInt(hex.slice(4, 6), 16),
    a: 1,
  };
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
