'use strict';

// Delay calls to fn until `wait` ms have passed without another call.
//
// A burst is a series of calls each less than `wait` ms after the previous one; it ends `wait` ms after its last
// call. With `trailing` (the default) fn runs at the end of the burst with the last call's arguments and `this`;
// with `leading` it runs at the first call of the burst, and then at the end only if more calls followed.
// options.timers lets callers (and tests) supply { setTimeout, clearTimeout }.
function debounce(fn, wait, options = {}) {
  const { leading = false, trailing = true } = options;
  const timers = options.timers || { setTimeout, clearTimeout };
  let timer = null;
  let pending = null; // { self, args } of the latest call not run yet

  function endBurst() {
    timer = null;
    const call = pending;
    pending = null;
    if (call && trailing) fn.apply(call.self, call.args);
  }

  function debounced(...args) {
    const starting = timer === null;
    if (!starting) timers.clearTimeout(timer);
    timer = timers.setTimeout(endBurst, wait);
    if (starting && leading) {
      pending = null;
      fn.apply(this, args);
    } else {
      pending = { self: this, args };
    }
  }

  // Drop the pending call and end the burst.
  debounced.cancel = () => {
    if (timer !== null) timers.clearTimeout(timer);
    timer = null;
    pending = null;
  };

  // Run the pending call now (if there is one) and end the burst.
  debounced.flush = () => {
    if (timer === null) return;
    timers.clearTimeout(timer);
    endBurst();
  };

  return debounced;
}

module.exports = { debounce };
