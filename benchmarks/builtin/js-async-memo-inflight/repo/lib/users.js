'use strict';
const { memoizeAsync } = require('./memo');

const MINUTE = 60 * 1000;

// The user service client behind a cache. `api` has fetchUser(id), fetchAvatar(id, size), rename(id, name).
function createUsers(api, { now = Date.now } = {}) {
  const getUser = memoizeAsync((id) => api.fetchUser(id), { ttl: MINUTE, now });
  const getAvatar = memoizeAsync((id, size) => api.fetchAvatar(id, size), { ttl: 10 * MINUTE, now });

  async function renameUser(id, name) {
    await api.rename(id, name);
    getUser.delete(id);
  }

  // The authors of a page of comments, one lookup per comment.
  function authors(comments) {
    return Promise.all(comments.map((c) => getUser(c.authorId)));
  }

  return { getUser, getAvatar, renameUser, authors };
}

module.exports = { createUsers };
