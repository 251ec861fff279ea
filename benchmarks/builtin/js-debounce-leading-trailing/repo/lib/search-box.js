'use strict';
const { debounce } = require('./debounce');

// Search-as-you-type: runs `searchFn(text)` once the user pauses typing.
class SearchBox {
  constructor(searchFn, { wait = 250, timers } = {}) {
    this.text = '';
    this.search = debounce((text) => searchFn(text), wait, { timers });
  }

  input(text) {
    this.text = text;
    this.search(text);
  }

  // Enter: search for what was typed right away instead of waiting for the pause.
  submit() {
    this.search.flush();
  }

  // Escape: forget what was typed; no search runs for it.
  clear() {
    this.text = '';
    this.search.cancel();
  }
}

module.exports = { SearchBox };
