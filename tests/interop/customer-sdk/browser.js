'use strict';
// Browser stand-ins for @livechat/customer-sdk under Node: window (an EventTarget with location,
// navigator, localStorage), document, Image, WebSocket and XMLHttpRequest. They behave as a
// browser does for what the SDK uses, with the LiveChat hosts resolved to the mock, as if DNS
// pointed them there: the socket goes to the mock but the Host header is the name the SDK used.
//   - WebSocket: no custom headers, an Origin header, pongs to server pings (ws does it by
//     itself), never a ping of its own; text frames as strings; close() without a code.
//   - XMLHttpRequest: cookies kept per host and sent with `withCredentials` unless the cookie is
//     SameSite=Lax/Strict and the request cross-site (the page is on another site); CORS as the fetch standard has it (a preflight for non-simple requests, the
//     answer must allow the page's origin, and credentials when sent). A browser would block a
//     request CORS refuses: here it is recorded in `violations` and let through, so one missing
//     header shows as one failed check instead of a dead SDK.
//   - Image: records its src and fails to load (nothing but the mock is reachable).
const http = require('node:http');
const WS = require('ws');

const PAGE = 'https://www.example.com/shop/index.html';
const PAGE_ORIGIN = new URL(PAGE).origin;
const PAGE_SITE = 'example.com';
// api.livechatinc.com, api-fra.livechatinc.com, api.staging.livechatinc.com, accounts.livechatinc.com, ...
const LIVECHAT_HOST = /^(api(-[a-z0-9]+)?|accounts)(\.[a-z0-9]+)?\.livechatinc\.com$/;
const siteOf = (host) => host.split('.').slice(-2).join('.');

class Storage {
  constructor() { this.m = new Map(); }
  getItem(k) { return this.m.has(String(k)) ? this.m.get(String(k)) : null; }
  setItem(k, v) { this.m.set(String(k), String(v)); }
  removeItem(k) { this.m.delete(String(k)); }
  clear() { this.m.clear(); }
  key(i) { return [...this.m.keys()][i] ?? null; }
  get length() { return this.m.size; }
}

class CookieJar {
  constructor() { this.cookies = []; }
  store(host, header) {
    const [pair, ...attrs] = header.split(';').map((s) => s.trim());
    const eq = pair.indexOf('=');
    if (eq <= 0) return;
    const c = { name: pair.slice(0, eq), value: pair.slice(eq + 1), host, path: '/', sameSite: null, expires: Infinity };
    for (const a of attrs) {
      const [k, v = ''] = a.split('=');
      const key = k.toLowerCase();
      if (key === 'max-age') c.expires = Date.now() + Number(v) * 1000;
      else if (key === 'samesite') c.sameSite = v.toLowerCase();
      else if (key === 'secure') c.secure = true;
      else if (key === 'path') c.path = v || '/';
    }
    if (c.sameSite === 'none' && !c.secure) return; // browsers reject SameSite=None without Secure
    this.cookies = this.cookies.filter((o) => !(o.name === c.name && o.host === host && o.path === c.path));
    if (c.expires > Date.now()) this.cookies.push(c);
  }
  // The Cookie header for a request, and the cookies held back for being cross-site.
  header(host, path, crossSite) {
    const live = this.cookies.filter((c) => c.host === host && path.startsWith(c.path) && c.expires > Date.now());
    // An explicit Lax or Strict keeps a cookie off cross-site requests. Without the attribute
    // Firefox and Safari's engine send it; Chrome treats it as Lax: noted, not enforced.
    const sent = live.filter((c) => !crossSite || c.sameSite === 'none' || c.sameSite === null);
    const laxByDefault = crossSite ? sent.filter((c) => c.sameSite === null) : [];
    return { header: sent.map((c) => `${c.name}=${c.value}`).join('; '), withheld: live.filter((c) => !sent.includes(c)), laxByDefault };
  }
}

function install(mockBase) {
  const mock = new URL(mockBase);
  const log = { sockets: [], xhr: [], images: [], violations: [], refused: [], notes: [] };
  const jar = new CookieJar();
  const localStorage = new Storage();

  // Where a LiveChat URL goes: the mock's address, keeping path and query.
  const resolve = (url, wsScheme) => {
    const u = new URL(url);
    if (!LIVECHAT_HOST.test(u.hostname)) return null;
    return { target: `${wsScheme ? 'ws' : 'http'}://${mock.host}${u.pathname}${u.search}`, host: u.host, u };
  };

  class BrowserEvent extends Event {
    constructor(type, init = {}) { super(type); Object.assign(this, init); }
  }

  class BrowserWebSocket extends EventTarget {
    constructor(url, protocols) {
      super();
      this.url = url;
      this.readyState = 0;
      this.binaryType = 'blob';
      this.protocol = '';
      this.extensions = '';
      this.bufferedAmount = 0;
      for (const h of ['open', 'message', 'close', 'error']) this['on' + h] = null;
      const r = resolve(url, true);
      const rec = { url, opened: Date.now(), sent: [], received: [], pings: 0, closed: null };
      this._rec = rec;
      log.sockets.push(rec);
      if (!r || !/^wss?:$/.test(new URL(url).protocol)) {
        log.refused.push(url);
        setTimeout(() => this._fail(), 0);
        return;
      }
      // A browser sends Origin and no headers of the page's choosing; Host is the name it resolved.
      this._ws = new WS(r.target, protocols, { origin: PAGE_ORIGIN, headers: { Host: r.host }, perMessageDeflate: true });
      this._ws.on('open', () => { this.readyState = 1; this.protocol = this._ws.protocol; this._fire('open'); });
      this._ws.on('message', (data, isBinary) => {
        const text = isBinary ? null : data.toString('utf8');
        rec.received.push({ t: Date.now(), text: text ?? `<${data.length} binary bytes>` });
        if (this.readyState !== 1) return;
        this._fire('message', { data: isBinary ? new Blob([data]) : text });
      });
      this._ws.on('ping', () => { rec.pings += 1; }); // ws answers it with a pong, as a browser does
      this._ws.on('error', (e) => { rec.error = e.message; }); // a browser shows no detail; kept for the report
      this._ws.on('close', (code, reason) => {
        rec.closed = { t: Date.now(), code };
        const wasOpen = this.readyState;
        this.readyState = 3;
        if (code === 1006 || wasOpen === 0) this._fire('error');
        this._fire('close', { code, reason: reason.toString(), wasClean: code !== 1006 });
      });
    }
    _fail() { this.readyState = 3; this._fire('error'); this._fire('close', { code: 1006, reason: '', wasClean: false }); }
    _fire(type, init) {
      const ev = new BrowserEvent(type, init);
      if (typeof this['on' + type] === 'function') this['on' + type](ev);
      this.dispatchEvent(ev);
    }
    send(data) {
      if (this.readyState === 0) throw new Error("InvalidStateError: Failed to execute 'send' on 'WebSocket': Still in CONNECTING state.");
      if (this.readyState !== 1) return; // a browser drops data sent on a closing or closed socket
      this._rec.sent.push({ t: Date.now(), text: String(data) });
      this._ws.send(String(data));
    }
    close(code, reason) {
      if (this.readyState >= 2) return;
      this.readyState = 2;
      if (this._ws) this._ws.close(code, reason); else this._fail();
    }
  }
  Object.assign(BrowserWebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });

  const SIMPLE_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];
  const SAFE_HEADERS = ['accept', 'accept-language', 'content-language', 'content-type'];

  // One HTTP exchange with the mock; resolves { status, statusText, headers, body } or rejects.
  const exchange = (r, method, headers, body, signal) => new Promise((ok, fail) => {
    const u = new URL(r.target);
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers: { ...headers, Host: r.host } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode, statusText: res.statusMessage, headers: res.headers, raw: res.rawHeaders, body: Buffer.concat(chunks) }));
      res.on('error', fail);
    });
    req.on('error', fail);
    if (signal) signal.abort = () => req.destroy(new Error('aborted'));
    req.end(body);
  });

  // The CORS check a browser makes on an answer (fetch standard, "CORS check").
  const corsProblem = (res, credentials) => {
    const acao = res.headers['access-control-allow-origin'];
    if (acao === undefined) return 'no Access-Control-Allow-Origin';
    if (credentials && acao === '*') return 'Access-Control-Allow-Origin is * on a request with credentials';
    if (acao !== '*' && acao !== PAGE_ORIGIN) return `Access-Control-Allow-Origin is ${acao}, not ${PAGE_ORIGIN}`;
    if (credentials && res.headers['access-control-allow-credentials'] !== 'true') return 'no Access-Control-Allow-Credentials: true';
    return null;
  };

  class BrowserXHR extends EventTarget {
    constructor() {
      super();
      this.readyState = 0;
      this.status = 0;
      this.statusText = '';
      this.responseText = '';
      this.response = '';
      this.responseURL = '';
      this.withCredentials = false;
      this.upload = new EventTarget();
      this._headers = {};
      for (const h of ['load', 'error', 'abort', 'readystatechange', 'loadend', 'timeout']) this['on' + h] = null;
    }
    open(method, url) { this._method = String(method).toUpperCase(); this._url = new URL(url, PAGE).href; this._set(1); }
    setRequestHeader(k, v) { this._headers[k] = String(v); }
    getAllResponseHeaders() {
      if (!this._res) return '';
      const out = [];
      for (let i = 0; i < this._res.raw.length; i += 2) {
        if (!/^set-cookie2?$/i.test(this._res.raw[i])) out.push(`${this._res.raw[i].toLowerCase()}: ${this._res.raw[i + 1]}`);
      }
      return out.join('\r\n');
    }
    getResponseHeader(k) { return /^set-cookie2?$/i.test(k) ? null : (this._res?.headers[k.toLowerCase()] ?? null); }
    abort() {
      if (this._done) return;
      this._done = true;
      this._signal?.abort?.();
      this._set(4);
      this._fire(this, 'abort');
      this._fire(this, 'loadend');
      this.readyState = 0;
    }
    _set(s) { this.readyState = s; this._fire(this, 'readystatechange'); }
    _fire(target, type, init) {
      const ev = new BrowserEvent(type, init);
      if (typeof target['on' + type] === 'function') target['on' + type](ev);
      target.dispatchEvent(ev);
    }
    send(body) { this._send(body).catch(() => {}); }
    async _send(body) {
      const entry = { method: this._method, url: this._url, status: null };
      log.xhr.push(entry);
      const r = resolve(this._url, false);
      const fail = () => {
        if (this._done) return;
        this._done = true;
        this._set(4);
        this._fire(this, 'error');
        this._fire(this, 'loadend');
      };
      if (!r) { log.refused.push(this._url); setTimeout(fail, 0); return; }
      // The body as a browser encodes it.
      let payload = null;
      const headers = { ...this._headers };
      const hasType = Object.keys(headers).some((k) => k.toLowerCase() === 'content-type');
      if (body instanceof FormData) {
        const encoded = new Response(body);
        payload = Buffer.from(await encoded.arrayBuffer());
        headers['Content-Type'] = encoded.headers.get('content-type');
      } else if (body !== null && body !== undefined) {
        payload = Buffer.from(String(body));
        if (!hasType) headers['Content-Type'] = 'text/plain;charset=UTF-8';
      }
      const crossOrigin = `${r.u.protocol}//${r.u.host}` !== PAGE_ORIGIN;
      const crossSite = siteOf(r.u.hostname) !== PAGE_SITE;
      const credentials = !crossOrigin || this.withCredentials;
      if (crossOrigin) headers.Origin = PAGE_ORIGIN;
      if (credentials) {
        const c = jar.header(r.u.hostname, r.u.pathname, crossSite);
        if (c.header) headers.Cookie = c.header;
        if (c.withheld.length) {
          log.violations.push({ url: this._url, problem: `cookie ${c.withheld.map((k) => k.name).join(', ')} not sent: SameSite=${c.withheld[0].sameSite} on a cross-site request` });
        }
        if (c.laxByDefault.length) log.notes.push(`cookies ${c.laxByDefault.map((k) => k.name).join(', ')} have no SameSite attribute: sent cross-site here, Chrome would withhold them (Lax by default)`);
      }
      const signal = {};
      this._signal = signal;
      try {
        if (crossOrigin) {
          const custom = Object.keys(this._headers).filter((k) => !SAFE_HEADERS.includes(k.toLowerCase()));
          const type = (headers['Content-Type'] || '').split(';')[0].trim().toLowerCase();
          const typeOk = !headers['Content-Type'] || SIMPLE_TYPES.includes(type);
          if (!['GET', 'HEAD', 'POST'].includes(this._method) || custom.length || !typeOk) {
            const wanted = [...custom, ...(typeOk ? [] : ['content-type'])].map((k) => k.toLowerCase());
            const pre = await exchange(r, 'OPTIONS', { Origin: PAGE_ORIGIN, 'Access-Control-Request-Method': this._method, ...(wanted.length ? { 'Access-Control-Request-Headers': wanted.join(',') } : {}) }, null, signal);
            const allowed = (pre.headers['access-control-allow-headers'] || '').toLowerCase().split(',').map((s) => s.trim());
            const problem = (pre.status < 200 || pre.status > 299) ? `preflight answered ${pre.status}` : corsProblem(pre, credentials) ||
              (wanted.every((h) => allowed.includes(h) || (allowed.includes('*') && !credentials)) ? null : `preflight allows headers [${allowed}], not [${wanted}]`);
            if (problem) log.violations.push({ url: this._url, problem: `preflight (OPTIONS): ${problem}` });
          }
        }
        if (this._done) return;
        const res = await exchange(r, this._method, headers, payload, signal);
        if (this._done) return;
        if (payload && payload.length) this._fire(this.upload, 'progress', { lengthComputable: true, loaded: payload.length, total: payload.length });
        const problem = crossOrigin ? corsProblem(res, credentials) : null;
        if (problem) log.violations.push({ url: this._url, problem });
        // A browser stores cookies only from credentialed requests (and, strictly, drops them
        // with an answer CORS refuses: lenient here, as above).
        if (credentials) for (const sc of [].concat(res.headers['set-cookie'] || [])) jar.store(r.u.hostname, sc);
        entry.status = res.status;
        this._res = res;
        this.status = res.status;
        this.statusText = res.statusText;
        this.responseURL = this._url;
        this.responseText = this.response = res.body.toString('utf8');
        this._done = true;
        this._set(2);
        this._set(3);
        this._set(4);
        this._fire(this, 'load');
        this._fire(this, 'loadend');
      } catch (e) {
        entry.error = e.message;
        fail();
      }
    }
  }
  Object.assign(BrowserXHR, { UNSENT: 0, OPENED: 1, HEADERS_RECEIVED: 2, LOADING: 3, DONE: 4 });

  class BrowserImage {
    constructor() { this.onload = null; this.onerror = null; }
    set src(v) {
      this._src = v;
      log.images.push(v);
      setTimeout(() => typeof this.onerror === 'function' && this.onerror(new BrowserEvent('error')), 0);
    }
    get src() { return this._src; }
  }

  const window = new EventTarget();
  // Every SDK instance adds `online`/`offline` listeners it never removes: a browser does not
  // warn about that, Node's EventTarget does past 10.
  require('node:events').setMaxListeners(1000, window);
  const location = new URL(PAGE);
  Object.assign(window, {
    location, localStorage, sessionStorage: new Storage(),
    navigator: { userAgent: 'Mozilla/5.0 (lc interop stand-in)', onLine: true, language: 'en-US' },
    document: { referrer: '', title: 'Shop', cookie: '', visibilityState: 'visible', hidden: false, addEventListener() {}, removeEventListener() {} },
    WebSocket: BrowserWebSocket, XMLHttpRequest: BrowserXHR, Image: BrowserImage,
  });
  // Nothing but the mock is reachable: fetch (unused by the SDK, used by the suite for the
  // control API) refuses any other host, as the other stand-ins do.
  const realFetch = globalThis.fetch;
  const fetch = (url, init) => {
    if (new URL(String(url), PAGE).host === mock.host) return realFetch(url, init);
    log.refused.push(String(url));
    return Promise.reject(new TypeError('Failed to fetch'));
  };
  const globals = { fetch, window, location, localStorage, document: window.document, navigator: window.navigator, WebSocket: BrowserWebSocket, XMLHttpRequest: BrowserXHR, Image: BrowserImage };
  for (const [k, v] of Object.entries(globals)) Object.defineProperty(globalThis, k, { value: v, writable: true, configurable: true });
  return { window, jar, localStorage, log, PAGE };
}

module.exports = { install, PAGE };
