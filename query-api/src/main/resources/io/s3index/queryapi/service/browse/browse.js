// s3index browse: the bucket browser served at /browse. Plain JavaScript, no dependencies, nothing
// fetched from outside. Every value from the index goes into the page as text (textContent,
// attributes), never as HTML.
'use strict';
(() => {
  performance.mark('s3index:script');
  const ROW = 30;              // row height in px, as --row in browse.css
  const FIRST_PAGE = 100;      // the first screen needs few rows: ask for few
  const NEXT_PAGE = 1000;
  const OVERSCAN = 8;          // rows drawn beyond the visible ones
  const PREFETCH = 300;        // load the next page when the view is this close to the end
  const MARK_MS = 4000;        // how long new, changed and deleted rows stay marked
  const FEED_WAIT = 10;        // seconds a change-feed request is held
  // The server notices a client that left a held request only when the wait ends, so a view
  // passed through quickly (keyboard, back button) does not start following the feed at all.
  const FEED_AFTER_MS = 1200;
  const FILTERS = ['content_type', 'min_size', 'max_size', 'modified_after', 'modified_before'];
  const SORTS = ['key', 'size', 'last_modified'];
  const $ = (id) => document.getElementById(id);

  // ---------------------------------------------------------------- the state, in the URL

  function readState() {
    const q = new URLSearchParams(location.search);
    const attrs = [];
    for (const [k, v] of q) {
      if (k.startsWith('metadata.') || k.startsWith('tag.')) attrs.push([k, v]);
    }
    const filters = {};
    for (const f of FILTERS) if (q.get(f)) filters[f] = q.get(f);
    return {
      bucket: q.get('bucket') || null,
      prefix: q.get('prefix') || '',
      flat: q.get('view') === 'all',
      sort: SORTS.includes(q.get('sort')) ? q.get('sort') : 'key',
      order: q.get('order') === 'desc' ? 'desc' : 'asc',
      filters,
      attrs,
      object: q.get('object'),
    };
  }

  function stateUrl(s) {
    const q = new URLSearchParams();
    if (s.bucket) q.set('bucket', s.bucket);
    if (s.bucket && s.prefix) q.set('prefix', s.prefix);
    if (s.bucket && s.flat) q.set('view', 'all');
    if (s.bucket && s.sort !== 'key') q.set('sort', s.sort);
    if (s.bucket && s.order !== 'asc') q.set('order', s.order);
    if (s.bucket) {
      for (const f of FILTERS) if (s.filters[f]) q.set(f, s.filters[f]);
      for (const [k, v] of s.attrs) q.append(k, v);
    }
    if (s.bucket && s.object) q.set('object', s.object);
    const text = q.toString();
    return '/browse' + (text ? '?' + text : '');
  }

  /** The part of the state a listing depends on (the object panel is not). */
  function listingId(s) {
    return JSON.stringify([s.bucket, s.prefix, s.flat, s.sort, s.order, s.filters, s.attrs]);
  }

  function hasFilters(s) {
    return Object.keys(s.filters).length > 0 || s.attrs.length > 0;
  }

  /** Folders (delimiter=/) only by name and unfiltered; sorts by size or date and filters list every object under the folder. */
  function folderMode(s) {
    return !s.flat && s.sort === 'key' && !hasFilters(s);
  }

  // ---------------------------------------------------------------- text formats

  const nf = new Intl.NumberFormat();
  function bytes(n) {
    if (n === null || n === undefined) return '—';
    if (n < 1024) return n + ' B';
    const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
    let v = n / 1024;
    let u = 0;
    while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
    return (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)) + ' ' + units[u];
  }
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  function localTime(ms) {
    const d = new Date(ms);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }
  function time(iso) {
    if (!iso) return '—';
    const ms = Date.parse(iso);
    return isNaN(ms) ? iso : localTime(ms);
  }
  function ago(ms) {
    const s = Math.max(0, Math.round(ms / 1000));
    if (s < 90) return s + ' s';
    if (s < 5400) return Math.round(s / 60) + ' min';
    if (s < 172800) return Math.round(s / 3600) + ' h';
    return Math.round(s / 86400) + ' days';
  }
  /** An RFC 3339 time as a string that sorts as the time does (fraction padded to nanoseconds). */
  function timeKey(iso) {
    const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(iso || '');
    return m ? m[1] + '.' + (m[2] || '').padEnd(9, '0') : String(iso);
  }
  /** Keys compare as the index compares them: by code point (UTF-8 byte order, COLLATE "C"). */
  function compareKeys(a, b) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const x = a.codePointAt(i);
      const y = b.codePointAt(i);
      if (x !== y) return x < y ? -1 : 1;
      if (x > 0xffff) i++;
    }
    return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
  }
  function parseSize(text, name) {
    const t = text.trim();
    if (!t) return null;
    const m = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)?$/i.exec(t);
    if (!m) throw new Error(`${name}: "${t}" is not a size (bytes, or a number with KB, MB, GB, KiB, MiB, GiB ...)`);
    const mult = {b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4};
    return String(Math.round(Number(m[1]) * mult[(m[2] || 'b').toLowerCase()]));
  }
  function toLocalInput(iso) {
    const ms = Date.parse(iso);
    if (isNaN(ms)) return '';
    const d = new Date(ms);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }
  /** A key as a URL path: each segment percent-encoded, '/' kept unless a segment would be read as . or .. */
  function keyPath(key) {
    const segments = key.split('/');
    if (segments.some((s) => s === '.' || s === '..')) return encodeURIComponent(key);
    return segments.map(encodeURIComponent).join('/');
  }

  // ---------------------------------------------------------------- the API, with the token

  class ApiError extends Error {
    constructor(status, problem, fallback) {
      super((problem && (problem.detail || problem.title)) || fallback || `HTTP ${status}`);
      this.status = status;
      this.problem = problem;
    }
  }

  let token = sessionStorage.getItem('s3index.token');
  let tokenPrompt = null;
  let lastEventMs = null;

  function askToken(reason) {
    if (!tokenPrompt) {
      tokenPrompt = new Promise((resolve) => {
        const dialog = $('token-dialog');
        $('token-reason').textContent = reason;
        $('token-input').value = '';
        const done = (e) => {
          e.preventDefault();
          const value = $('token-input').value.trim();
          if (!value) return;
          token = value;
          sessionStorage.setItem('s3index.token', value);
          $('token-form').removeEventListener('submit', done);
          dialog.close();
          tokenPrompt = null;
          resolve();
        };
        $('token-form').addEventListener('submit', done);
        // Without a token there is nothing to show: Escape does not dismiss the question.
        dialog.addEventListener('cancel', (e) => e.preventDefault(), {once: true});
        dialog.showModal();
        $('token-input').focus();
      });
    }
    return tokenPrompt;
  }

  function abortable(ms, signal) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, ms);
      if (signal) {
        signal.addEventListener('abort', () => { clearTimeout(timer); reject(new DOMException('aborted', 'AbortError')); }, {once: true});
      }
    });
  }

  async function api(path, signal) {
    for (;;) {
      const headers = {Accept: 'application/json'};
      if (token) headers.Authorization = 'Bearer ' + token;
      let res;
      try {
        res = await fetch(path, {headers, signal, cache: 'no-store'});
      } catch (e) {
        if (e.name === 'AbortError') throw e;
        throw new ApiError(0, null, 'The API cannot be reached (' + e.message + ').');
      }
      const fresh = res.headers.get('X-Index-Last-Event-Time');
      if (fresh) {
        const ms = Date.parse(fresh);
        if (!isNaN(ms) && (lastEventMs === null || ms > lastEventMs)) lastEventMs = ms;
      }
      if (res.ok) return res.json();
      let problem = null;
      try { problem = await res.json(); } catch (e) { problem = null; }
      if (res.status === 401) {
        await askToken(token ? 'That token was not accepted (' + ((problem && problem.detail) || 'unauthorized') + '). Enter another.'
          : 'This index needs an access token.');
        continue;
      }
      if (res.status === 429) {
        const wait = Math.min(60, Number(res.headers.get('Retry-After')) || 1);
        note(`Too many requests for this token: retrying in ${wait} s.`, 'info');
        await abortable(wait * 1000, signal);
        note(null);
        continue;
      }
      throw new ApiError(res.status, problem);
    }
  }

  function describe(e) {
    const p = e.problem;
    if (e.status === 403) return 'Not allowed: this token may not read here. ' + ((p && p.detail) || '');
    if (e.status === 404) return 'Not found: ' + ((p && p.detail) || 'no such bucket or object in the index.');
    if (e.status === 400 && p && p.errors) {
      return 'The listing was refused: ' + Object.entries(p.errors).map(([k, v]) => `${k} ${v}`).join('; ');
    }
    if (e.status === 503) return 'The index is unavailable just now: ' + ((p && p.detail) || 'try again shortly.');
    return e.message;
  }

  function note(text, kind) {
    const m = $('message');
    m.hidden = !text;
    m.className = kind || '';
    m.textContent = text || '';
  }

  // ---------------------------------------------------------------- listings

  const byKey = (a, b) => compareKeys(a.key, b.key);

  /** The buckets, as the root of the grid. */
  class BucketList {
    constructor() {
      this.items = [];
      this.hasNext = true;
      this.loading = false;
      this.error = null;
      this.s = {bucket: null};
    }
    get length() { return this.items.length; }
    at(i) { return this.items[i]; }
    async loadMore() {
      if (this.loading || !this.hasNext) return;
      this.loading = true;
      try {
        const body = await api('/v1/buckets');
        this.items = body.data.map((b) => ({kind: 'bucket', key: b.name}));
        showBuckets(this.items.map((b) => b.key));
      } catch (e) {
        this.error = e;
        note(describe(e));
      } finally {
        this.hasNext = false;
        this.loading = false;
        if (view === this) { firstScreen(); render(); }
      }
    }
    close() {}
  }

  /** One listing of a bucket: its folders and objects as loaded so far, cursor by cursor. */
  class Listing {
    constructor(s) {
      this.s = s;
      this.folderMode = folderMode(s);
      this.folders = [];
      this.objects = [];
      this.cursor = null;
      this.lastKey = null;     // the last entry loaded, in the API's order (folder mode)
      this.hasNext = true;
      this.loading = false;
      this.error = null;
      this.pages = 0;
      this.abort = new AbortController();
      this.dirtyFolders = new Set();
      this.statsTimer = null;
      const sign = s.order === 'desc' ? -1 : 1;
      if (s.sort === 'key') this.cmp = (a, b) => sign * byKey(a, b);
      else if (s.sort === 'size') this.cmp = (a, b) => sign * ((a.o.size - b.o.size) || byKey(a, b));
      else this.cmp = (a, b) => sign * (compareKeys(timeKey(a.o.last_modified), timeKey(b.o.last_modified)) || byKey(a, b));
      this.folderCmp = (a, b) => sign * byKey(a, b);
    }
    get length() { return this.folders.length + this.objects.length; }
    at(i) { return i < this.folders.length ? this.folders[i] : this.objects[i - this.folders.length]; }
    close() { this.abort.abort(); clearTimeout(this.statsTimer); }

    query(pageSize) {
      const s = this.s;
      const q = new URLSearchParams();
      q.set('page_size', String(pageSize));
      if (s.sort !== 'key') q.set('sort_by', s.sort);
      if (s.order === 'desc') q.set('sort_order', 'desc');
      if (s.prefix) q.set('prefix', s.prefix);
      if (this.folderMode) { q.set('delimiter', '/'); q.set('include_stats', 'true'); }
      for (const f of FILTERS) if (s.filters[f]) q.set(f, s.filters[f]);
      for (const [k, v] of s.attrs) q.append(k, v);
      if (this.cursor) q.set('cursor', this.cursor);
      return `/v1/buckets/${encodeURIComponent(s.bucket)}/objects?${q}`;
    }

    async loadMore() {
      if (this.loading || !this.hasNext || this.error) return;
      this.loading = true;
      try {
        const body = await api(this.query(this.pages === 0 ? FIRST_PAGE : NEXT_PAGE), this.abort.signal);
        if (view !== this) return;
        const first = this.pages === 0;
        this.ingest(body);
        const cursor = body.pagination.changes_cursor;
        if (first && cursor) {
          abortable(FEED_AFTER_MS, this.abort.signal).then(() => this.follow(cursor), () => {});
        }
      } catch (e) {
        if (e.name === 'AbortError') return;
        this.error = e;
        if (view === this) note(describe(e));
      } finally {
        this.loading = false;
        if (view === this) { render(); firstScreen(); }
      }
    }

    ingest(body) {
      this.pages++;
      const p = body.pagination;
      this.cursor = p.next_cursor;
      this.hasNext = p.has_next;
      const stats = new Map((body.folders || []).map((f) => [f.prefix, f]));
      const known = new Set(this.folders.map((f) => f.key));
      const before = this.folders.length;
      for (const prefix of body.common_prefixes || []) {
        if (!known.has(prefix)) this.folders.push({kind: 'folder', key: prefix, stats: stats.get(prefix) || null});
      }
      for (const o of body.data) this.objects.push({kind: 'object', key: o.key, o});
      const keys = (body.common_prefixes || []).concat(body.data.map((o) => o.key));
      for (const k of keys) {
        if (this.lastKey === null || this.folderCmp({key: k}, {key: this.lastKey}) > 0) this.lastKey = k;
      }
      const added = this.folders.length - before;
      if (added && this.pages > 1 && vp.scrollTop > before * ROW) vp.scrollTop += added * ROW;
      if (p.total_count !== undefined) this.total = p.total_count;
      summary();
    }

    /** Follows the change feed from the first page's snapshot: changes here show up live. */
    async follow(cursor) {
      live(true);
      let failures = 0;
      while (view === this) {
        const q = new URLSearchParams({cursor, wait: String(FEED_WAIT), page_size: '1000'});
        if (this.s.prefix) q.set('prefix', this.s.prefix);
        try {
          const body = await api(`/v1/buckets/${encodeURIComponent(this.s.bucket)}/changes?${q}`, this.abort.signal);
          if (view !== this) return;
          failures = 0;
          live(true);
          let changed = false;
          for (const c of body.data) changed = this.apply(c) || changed;
          cursor = body.pagination.next_cursor;
          if (changed) { render(); summary(); }
        } catch (e) {
          if (e.name === 'AbortError' || view !== this) return;
          live(false);
          if (e.status === 410 || e.status === 400 || e.status === 403) {
            note('Live updates stopped: ' + describe(e) + ' Reload to see the current state.', 'info');
            return;
          }
          failures++;
          try { await abortable(Math.min(30000, 1000 * 2 ** failures), this.abort.signal); } catch (x) { return; }
        }
      }
    }

    matches(o) {
      const f = this.s.filters;
      if (f.content_type) {
        const t = f.content_type;
        const ct = (o.content_type || '').split(';')[0].trim();
        if (t.endsWith('/*') ? !ct.startsWith(t.slice(0, -1)) : ct !== t) return false;
      }
      if (f.min_size && o.size < Number(f.min_size)) return false;
      if (f.max_size && o.size > Number(f.max_size)) return false;
      const at = Date.parse(o.last_modified);
      if (f.modified_after && !(at > Date.parse(f.modified_after))) return false;
      if (f.modified_before && !(at < Date.parse(f.modified_before))) return false;
      for (const [k, v] of this.s.attrs) {
        const source = k.startsWith('tag.') ? o.tags : o.metadata;
        const name = k.slice(k.indexOf('.') + 1);
        const value = source ? source[name] : undefined;
        if (value === undefined || value === null || (v !== '*' && String(value) !== v)) return false;
      }
      return true;
    }

    /** One change from the feed; true when the view changed. */
    apply(c) {
      const now = Date.now();
      const rel = c.key.slice(this.s.prefix.length);
      const slash = this.folderMode ? rel.indexOf('/') : -1;
      if (slash >= 0) {
        const key = this.s.prefix + rel.slice(0, slash + 1);
        const i = lowerBound(this.folders, {key}, this.folderCmp);
        const folder = this.folders[i] && this.folders[i].key === key ? this.folders[i] : null;
        if (folder) {
          if (folder.mark !== 'new' || folder.until < now) mark(folder, 'changed');
        } else if (c.type === 'upsert' && this.inLoadedRange(key)) {
          const item = {kind: 'folder', key, stats: null};
          mark(item, 'new');
          this.folders.splice(i, 0, item);
        }
        this.dirtyFolders.add(key);
        this.refreshStatsSoon();
        return true;
      }
      if (this.folderMode) this.refreshStatsSoon();
      const idx = this.objects.findIndex((x) => x.key === c.key);
      const o = c.object;
      if (c.type === 'delete' || !o || !this.matches(o)) {
        if (idx < 0) return false;
        this.remove(this.objects[idx]);
        return true;
      }
      const item = {kind: 'object', key: o.key, o};
      if (idx >= 0) {
        this.objects.splice(idx, 1);
        mark(item, 'changed');
      } else {
        mark(item, 'new');
      }
      const last = this.objects[this.objects.length - 1];
      const inRange = this.folderMode ? this.inLoadedRange(o.key) : !this.hasNext || !last || this.cmp(item, last) < 0;
      if (!inRange) return idx >= 0;
      this.objects.splice(lowerBound(this.objects, item, this.cmp), 0, item);
      return true;
    }

    inLoadedRange(key) {
      return !this.hasNext || (this.lastKey !== null && this.folderCmp({key}, {key: this.lastKey}) < 0);
    }

    remove(item) {
      mark(item, 'deleted');
      setTimeout(() => {
        if (view !== this || item.mark !== 'deleted') return;
        const list = item.kind === 'folder' ? this.folders : this.objects;
        const i = list.indexOf(item);
        if (i >= 0) { list.splice(i, 1); render(); }
      }, MARK_MS);
    }

    refreshStatsSoon() {
      clearTimeout(this.statsTimer);
      this.statsTimer = setTimeout(() => this.refreshStats(), 400);
    }

    async refreshStats() {
      const wanted = [...this.dirtyFolders].slice(0, 50);
      this.dirtyFolders.clear();
      const base = `/v1/buckets/${encodeURIComponent(this.s.bucket)}/stats?prefix=`;
      try {
        for (const key of wanted) {
          const sizes = await api(base + encodeURIComponent(key), this.abort.signal);
          const folder = this.folders.find((f) => f.key === key);
          if (!folder || view !== this) continue;
          folder.stats = sizes;
          if (sizes.objects === 0) this.remove(folder);
        }
        if (view === this) { render(); folderTotals(this); }
      } catch (e) {
        // Sizes are shown as they were; the next change refreshes them again.
      }
    }
  }

  function lowerBound(list, item, cmp) {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cmp(list[mid], item) < 0) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  function mark(item, kind) {
    item.mark = kind;
    item.until = Date.now() + MARK_MS;
    setTimeout(render, MARK_MS + 20);
  }

  // ---------------------------------------------------------------- drawing the grid

  const vp = $('viewport');
  const spacer = $('spacer');
  const pool = [];
  let view = null;
  let selected = -1;
  let firstScreenMarked = false;
  let frame = 0;

  function newRow() {
    const row = document.createElement('div');
    row.className = 'r';
    row.setAttribute('role', 'row');
    for (const c of ['name', 'size', 'time', 'type']) {
      const cell = document.createElement('span');
      cell.className = c;
      cell.setAttribute('role', 'gridcell');
      row.appendChild(cell);
    }
    row.addEventListener('click', () => {
      const i = Number(row.dataset.index);
      if (!isNaN(i) && view && i < view.length) { select(i, false); open(i); }
    });
    vp.appendChild(row);
    return row;
  }

  function fill(row, i) {
    const item = view.at(i);
    const [name, size, when, type] = row.children;
    row.hidden = false;
    row.style.transform = `translateY(${i * ROW}px)`;
    row.dataset.index = String(i);
    row.id = 'row-' + i;
    row.setAttribute('aria-rowindex', String(i + 1));
    row.setAttribute('aria-selected', String(i === selected));
    let cls = 'r';
    if (!item) {
      row.removeAttribute('data-key');
      row.removeAttribute('data-kind');
      name.textContent = view.error ? 'Could not load more.' : view.loading || view.hasNext ? 'Loading …'
        : view.length === 0 ? (view instanceof BucketList ? 'No buckets in the index yet.' : 'Nothing here.') : '';
      size.textContent = when.textContent = type.textContent = '';
      row.className = cls + ' loading';
      return;
    }
    row.dataset.key = item.key;
    row.dataset.kind = item.kind;
    if (item.kind === 'bucket') {
      name.textContent = item.key;
      size.textContent = when.textContent = '';
      type.textContent = 'bucket';
      cls += ' folder';
    } else if (item.kind === 'folder') {
      name.textContent = view.folderMode ? item.key.slice(view.s.prefix.length) : item.key;
      const st = item.stats;
      size.textContent = st ? bytes(st.bytes) : '—';
      when.textContent = st ? time(st.last_modified) : '—';
      type.textContent = st ? `${nf.format(st.objects)} object${st.objects === 1 ? '' : 's'}` : 'folder';
      cls += ' folder';
    } else {
      const o = item.o;
      name.textContent = o.key.slice(view.s.prefix.length) || o.key;
      size.textContent = bytes(o.size);
      when.textContent = time(o.last_modified);
      type.textContent = o.content_type || '';
    }
    name.title = item.key;
    if (item.mark && item.until > Date.now()) cls += ' mark-' + item.mark;
    if (i === selected) cls += ' selected';
    row.className = cls;
  }

  function render() {
    frame = 0;
    if (!view) return;
    const n = view.length;
    const tail = view.hasNext || view.loading || view.error || n === 0 ? 1 : 0;
    const total = n + tail;
    spacer.style.height = total * ROW + 'px';
    vp.setAttribute('aria-rowcount', String(n));
    const top = vp.scrollTop;
    const height = vp.clientHeight || 600;
    const from = Math.max(0, Math.floor(top / ROW) - OVERSCAN);
    const to = Math.min(total, Math.ceil((top + height) / ROW) + OVERSCAN);
    let used = 0;
    for (let i = from; i < to; i++, used++) {
      fill(pool[used] || (pool[used] = newRow()), i);
    }
    for (let j = used; j < pool.length; j++) pool[j].hidden = true;
    if (selected >= 0 && selected < n) vp.setAttribute('aria-activedescendant', 'row-' + selected);
    else vp.removeAttribute('aria-activedescendant');
    if (view.hasNext && !view.loading && !view.error && to + PREFETCH > n) view.loadMore();
  }

  function scheduleRender() {
    if (!frame) frame = requestAnimationFrame(render);
  }

  /** Marks the first screen drawn (performance timeline: 's3index:first-screen'), once per page load. */
  function firstScreen() {
    if (firstScreenMarked || !view || (view.length === 0 && view.hasNext && !view.error)) return;
    firstScreenMarked = true;
    requestAnimationFrame(() => {
      performance.mark('s3index:first-screen');
      document.body.dataset.firstScreen = 'drawn';
      for (const fn of waiting.splice(0)) fn();
    });
  }

  /** Runs what the first screen does not need once it is drawn, so that it does not wait behind it. */
  const waiting = [];
  function afterFirstScreen(fn) {
    if (document.body.dataset.firstScreen === 'drawn') fn(); else waiting.push(fn);
  }

  function select(i, scroll = true) {
    if (!view || view.length === 0) return;
    selected = Math.max(0, Math.min(view.length - 1, i));
    if (scroll) {
      const top = selected * ROW;
      if (top < vp.scrollTop) vp.scrollTop = top;
      else if (top + ROW > vp.scrollTop + vp.clientHeight) vp.scrollTop = top + ROW - vp.clientHeight;
    }
    render();
  }

  function open(i) {
    const item = view.at(i);
    if (!item) return;
    if (item.kind === 'bucket') navigate({bucket: item.key, prefix: '', object: null, filters: {}, attrs: [], flat: false, sort: 'key', order: 'asc'});
    else if (item.kind === 'folder') navigate({prefix: item.key, object: null});
    else navigate({object: item.key}, item.o);
  }

  // ---------------------------------------------------------------- page parts

  let state = readState();
  let config = {open: true, download_port: null};
  let bucketsShown = false;

  function showBuckets(names) {
    bucketsShown = true;
    const ul = $('buckets');
    ul.replaceChildren();
    for (const name of names) {
      const li = document.createElement('li');
      const a = document.createElement('a');
      a.textContent = name;
      a.href = stateUrl({bucket: name, prefix: '', flat: false, sort: 'key', order: 'asc', filters: {}, attrs: [], object: null});
      a.dataset.bucket = name;
      if (name === state.bucket) a.setAttribute('aria-current', 'page');
      a.addEventListener('click', (e) => {
        e.preventDefault();
        navigate({bucket: name, prefix: '', object: null, filters: {}, attrs: [], flat: false, sort: 'key', order: 'asc'});
      });
      li.appendChild(a);
      ul.appendChild(li);
    }
  }

  async function loadBucketsPane() {
    try {
      const body = await api('/v1/buckets');
      showBuckets(body.data.map((b) => b.name));
    } catch (e) {
      // The grid says what went wrong with the listing; the side list stays empty.
    }
  }

  function link(text, target) {
    const a = document.createElement('a');
    a.textContent = text;
    a.href = stateUrl({...state, ...target});
    a.addEventListener('click', (e) => { e.preventDefault(); navigate(target); });
    return a;
  }

  function crumbs() {
    const ol = $('crumbs').firstElementChild;
    ol.replaceChildren();
    const add = (node) => { const li = document.createElement('li'); li.appendChild(node); ol.appendChild(li); return li; };
    add(link('Buckets', {bucket: null, prefix: '', object: null}));
    if (!state.bucket) return;
    const root = add(link(state.bucket, {prefix: '', object: null}));
    const parts = state.prefix.split('/');
    let acc = '';
    let lastLi = root;
    for (let i = 0; i < parts.length; i++) {
      if (i === parts.length - 1 && parts[i] === '') break;
      acc += parts[i] + (i < parts.length - 1 ? '/' : '');
      lastLi = add(link(parts[i] === '' ? '(empty)' : parts[i], {prefix: acc, object: null}));
    }
    lastLi.firstChild.setAttribute('aria-current', 'page');
  }

  function summary() {
    const el = $('summary');
    if (!view || view instanceof BucketList) { el.textContent = 'Choose a bucket.'; return; }
    const parts = [];
    const loaded = view.length;
    if (view.folderMode) {
      parts.push(`${nf.format(view.folders.length)} folder${view.folders.length === 1 ? '' : 's'} and ${nf.format(view.objects.length)} object${view.objects.length === 1 ? '' : 's'} here${view.hasNext ? ' so far' : ''}`);
      if (view.totals) {
        const t = view.totals;
        parts.push(`${nf.format(t.objects)} objects, ${bytes(t.bytes)} in all under this folder` + (t.last_modified ? `, newest ${time(t.last_modified)}` : ''));
      }
    } else {
      const why = state.flat ? 'All objects under this folder'
        : hasFilters(state) ? 'Filtered: every object under this folder that matches'
          : 'Sorted by ' + (state.sort === 'size' ? 'size' : 'last modified') + ': every object under this folder';
      parts.push(why);
      parts.push(`${nf.format(loaded)} loaded${view.hasNext ? '' : ' (all)'}` + (view.total !== undefined ? ` of ${nf.format(view.total)}` : ''));
    }
    el.textContent = parts.join(' · ');
  }

  async function folderTotals(v) {
    if (!v.folderMode || (v.s.prefix && !v.s.prefix.endsWith('/'))) return;
    try {
      const totals = await api(`/v1/buckets/${encodeURIComponent(v.s.bucket)}/stats?prefix=${encodeURIComponent(v.s.prefix)}`, v.abort.signal);
      if (view === v) { v.totals = totals; summary(); }
    } catch (e) {
      // Totals are extra; the listing itself reports its own errors.
    }
  }

  function controls() {
    $('sort').value = state.sort;
    $('order').value = state.order;
    const forced = state.sort !== 'key' || hasFilters(state);
    $('flat').checked = state.flat || forced;
    $('flat').disabled = forced;
    $('f-type').value = state.filters.content_type || '';
    $('f-min').value = state.filters.min_size || '';
    $('f-max').value = state.filters.max_size || '';
    $('f-after').value = state.filters.modified_after ? toLocalInput(state.filters.modified_after) : '';
    $('f-before').value = state.filters.modified_before ? toLocalInput(state.filters.modified_before) : '';
    $('f-attrs').value = state.attrs.map(([k, v]) => `${k}=${v}`).join(' ');
    if (hasFilters(state)) showFilters(true);
    for (const el of $('controls').elements) if (el.id !== 'toggle-filters') el.disabled = !state.bucket || (el.id === 'flat' && forced);
    for (const a of $('buckets').querySelectorAll('a')) {
      if (a.dataset.bucket === state.bucket) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    }
    document.title = state.bucket ? `${state.bucket}/${state.prefix} · s3index` : 's3index · browse';
  }

  function showFilters(show) {
    $('filters').hidden = !show;
    $('toggle-filters').setAttribute('aria-expanded', String(show));
  }

  // ---------------------------------------------------------------- the object panel

  function dl(el, entries, empty) {
    el.replaceChildren();
    if (!entries.length) {
      const dd = document.createElement('dd');
      dd.className = 'empty';
      dd.textContent = empty;
      el.appendChild(dd);
      return;
    }
    for (const [k, v] of entries) {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v === null || v === undefined ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v);
      el.append(dt, dd);
    }
  }

  let panelFor = null;

  function showPanel(bucket, o) {
    $('panel').hidden = false;
    document.querySelector('main').classList.add('panel-open');
    $('panel-key').textContent = o.key;
    dl($('panel-fields'), [
      ['Bucket', bucket],
      ['Size', `${nf.format(o.size)} bytes (${bytes(o.size)})`],
      ['Last modified', `${o.last_modified} (${time(o.last_modified)} local)`],
      ['ETag', o.etag],
      ['Content type', o.content_type],
      ['Storage class', o.storage_class],
      ['Version id', o.version_id],
    ], '');
    dl($('panel-metadata'), Object.entries(o.metadata || {}), o.metadata ? 'none' : 'not known (not enriched)');
    dl($('panel-tags'), Object.entries(o.tags || {}), o.tags ? 'none' : 'not known');
    $('panel-s3uri').textContent = `s3://${bucket}/${o.key}`;
    const apiUrl = `${location.origin}/v1/buckets/${encodeURIComponent(bucket)}/objects/${keyPath(o.key)}`;
    $('panel-apiurl').textContent = apiUrl;
    const dlRow = $('panel-download-row');
    if (config.download_port) {
      const a = $('panel-download');
      a.href = `${location.protocol}//${location.hostname}:${config.download_port}/${encodeURIComponent(bucket)}/${keyPath(o.key)}`;
      a.setAttribute('download', o.key.split('/').pop() || 'object');
      dlRow.hidden = false;
    } else {
      dlRow.hidden = true;
    }
  }

  async function panel(s, known) {
    if (!s.bucket || !s.object) {
      $('panel').hidden = true;
      document.querySelector('main').classList.remove('panel-open');
      panelFor = null;
      return;
    }
    const id = s.bucket + '\u0000' + s.object;
    panelFor = id;
    if (known) showPanel(s.bucket, known);
    else {
      const item = view && view.objects ? view.objects.find((x) => x.key === s.object) : null;
      if (item) showPanel(s.bucket, item.o);
    }
    try {
      const o = await api(`/v1/buckets/${encodeURIComponent(s.bucket)}/objects/${keyPath(s.object)}`);
      if (panelFor === id) showPanel(s.bucket, o);
    } catch (e) {
      if (panelFor !== id) return;
      if (e.status === 404) {
        showPanel(s.bucket, {key: s.object, size: 0, last_modified: null, metadata: {}, tags: {}});
        $('panel-key').textContent = s.object + ' — not in the index (deleted?)';
      }
    }
  }

  async function copy(button) {
    const text = $(button.dataset.copy).textContent;
    try {
      await navigator.clipboard.writeText(text);
    } catch (e) {
      const range = document.createRange();
      range.selectNodeContents($(button.dataset.copy));
      const sel = getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      document.execCommand('copy');
    }
    button.textContent = 'Copied';
    setTimeout(() => { button.textContent = 'Copy'; }, 1500);
  }

  // ---------------------------------------------------------------- freshness

  let feedLive = false;
  function live(on) { feedLive = on; freshness(); }
  function freshness() {
    const el = $('freshness');
    el.replaceChildren();
    if (lastEventMs === null) {
      el.textContent = 'index: no events applied yet';
    } else {
      const lag = Date.now() - lastEventMs;
      el.textContent = `index: last event ${localTime(lastEventMs)} (${ago(lag)} ago)`;
      el.classList.toggle('stale', lag > 5 * 60 * 1000);
    }
    if (feedLive && view instanceof Listing) {
      const s = document.createElement('span');
      s.className = 'live';
      s.textContent = ' · live';
      el.appendChild(s);
    }
  }
  async function status() {
    try {
      const body = await api('/v1/status');
      if (body.last_event_time) {
        const ms = Date.parse(body.last_event_time);
        if (!isNaN(ms) && (lastEventMs === null || ms > lastEventMs)) lastEventMs = ms;
      }
    } catch (e) {
      // Shown as of the last answer's header.
    }
    freshness();
  }

  // ---------------------------------------------------------------- navigation

  function navigate(change, known, replace = false) {
    const next = {...state, ...change};
    if (!next.bucket) Object.assign(next, {prefix: '', object: null, filters: {}, attrs: [], flat: false, sort: 'key', order: 'asc'});
    const url = stateUrl(next);
    if (replace) history.replaceState(null, '', url); else if (url !== location.pathname + location.search) history.pushState(null, '', url);
    show(next, known);
  }

  function show(next, known) {
    const prev = state;
    state = next;
    const relist = !view || listingId(prev) !== listingId(next) || (view instanceof BucketList) !== !next.bucket;
    if (relist) {
      if (view) view.close();
      note(null);
      selected = -1;
      vp.scrollTop = 0;
      view = next.bucket ? new Listing(next) : new BucketList();
      feedLive = false;
      render();
      view.loadMore();
      const v = view;
      if (v instanceof Listing) afterFirstScreen(() => folderTotals(v));
    }
    crumbs();
    controls();
    summary();
    freshness();
    panel(next, known);
    if (!bucketsShown && next.bucket) afterFirstScreen(loadBucketsPane);
  }

  function up() {
    if (state.object) { navigate({object: null}); return; }
    if (!state.bucket) return;
    if (!state.prefix) { navigate({bucket: null}); return; }
    const p = state.prefix.endsWith('/') ? state.prefix.slice(0, -1) : state.prefix;
    const i = p.lastIndexOf('/');
    navigate({prefix: i < 0 ? '' : p.slice(0, i + 1), object: null});
  }

  function applyFilters() {
    try {
      const filters = {};
      const type = $('f-type').value.trim();
      if (type) filters.content_type = type;
      const min = parseSize($('f-min').value, 'Min size');
      if (min !== null) filters.min_size = min;
      const max = parseSize($('f-max').value, 'Max size');
      if (max !== null) filters.max_size = max;
      for (const [id, name] of [['f-after', 'modified_after'], ['f-before', 'modified_before']]) {
        const v = $(id).value;
        if (v) {
          const ms = Date.parse(v);
          if (isNaN(ms)) throw new Error(`${name}: not a date and time`);
          filters[name] = new Date(ms).toISOString();
        }
      }
      const attrs = [];
      for (const part of $('f-attrs').value.trim().split(/\s+/).filter(Boolean)) {
        const eq = part.indexOf('=');
        const name = eq < 0 ? part : part.slice(0, eq);
        if (!/^(metadata|tag)\.[^=]+$/.test(name)) {
          throw new Error(`"${part}": write metadata.<name>=<value> or tag.<name>=<value> (value * for any)`);
        }
        attrs.push([name, eq < 0 ? '*' : part.slice(eq + 1)]);
      }
      navigate({filters, attrs, object: null});
    } catch (e) {
      note(e.message);
    }
  }

  // ---------------------------------------------------------------- wiring

  vp.addEventListener('scroll', scheduleRender, {passive: true});
  new ResizeObserver(scheduleRender).observe(vp);

  vp.addEventListener('keydown', (e) => {
    if (!view) return;
    const pageRows = Math.max(1, Math.floor(vp.clientHeight / ROW) - 1);
    const keys = {
      ArrowDown: () => select(selected + 1), ArrowUp: () => select(selected < 0 ? 0 : selected - 1),
      PageDown: () => select(selected + pageRows), PageUp: () => select(selected - pageRows),
      Home: () => select(0), End: () => select(view.length - 1),
      Enter: () => { if (selected >= 0) open(selected); },
    };
    if (keys[e.key]) { e.preventDefault(); keys[e.key](); }
  });

  document.addEventListener('keydown', (e) => {
    const t = e.target;
    const typing = t instanceof HTMLInputElement || t instanceof HTMLSelectElement || t instanceof HTMLTextAreaElement;
    if (typing || $('token-dialog').open) return;
    if (e.key === 'Backspace' && !e.altKey && !e.ctrlKey && !e.metaKey) { e.preventDefault(); up(); vp.focus(); }
    if (e.key === 'Escape' && state.object) { e.preventDefault(); navigate({object: null}); vp.focus(); }
  });

  $('sort').addEventListener('change', () => navigate({sort: $('sort').value, object: null}));
  $('order').addEventListener('change', () => navigate({order: $('order').value, object: null}));
  $('flat').addEventListener('change', () => navigate({flat: $('flat').checked, object: null}));
  $('toggle-filters').addEventListener('click', () => showFilters($('filters').hidden));
  $('controls').addEventListener('submit', (e) => { e.preventDefault(); applyFilters(); });
  $('clear').addEventListener('click', () => navigate({filters: {}, attrs: [], object: null}));
  $('panel-close').addEventListener('click', () => { navigate({object: null}); vp.focus(); });
  for (const b of document.querySelectorAll('[data-copy]')) b.addEventListener('click', () => copy(b));
  $('home').addEventListener('click', (e) => { e.preventDefault(); navigate({bucket: null}); });
  window.addEventListener('popstate', () => show(readState()));
  setInterval(freshness, 1000);
  setInterval(status, 15000);

  show(state);
  vp.focus();
  afterFirstScreen(() => {
    fetch('/browse/config.json', {cache: 'no-store'}).then((r) => r.json()).then((c) => {
      config = c;
      if (state.object) panel(state);
    }).catch(() => { /* defaults: no download */ });
    status();
  });
})();
