'use strict';

// Delay calls to fn until `wait` ms have passed without another call.
// options.timers lets callers (and tests) supply { setTimeout, clearTimeout }.
function debounce(fn, wait, options = {}) {
  const timers = options.timers || { setTimeout, clearTimeout };
  let timer = null;
  let args;

  function debounced(...callArgs) {
    if (timer) return;
    args = callArgs;
    timer = timers.setTimeout(() => {
      timer = null;
      fn(...args);
    }, wait);
  }

  debounced.cancel = () => {
    timers.clearTimeout(timer);
    timer = null;
  };

  return debounced;
}

module.exports = { debounce };
