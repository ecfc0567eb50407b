'use strict';
// @livechat/customer-sdk 4.0.2, unmodified, against `lc mock`: every public method and every
// event the mock can cause, checked against the SDK's README (node_modules/@livechat/
// customer-sdk/README.md, "the docs" below) and its types/. Usage: node driver.js <path-to-lc>.
// One row per call, event or case; exit 0 only when the failures are exactly EXPECTED.
process.env.NODE_ENV = process.env.NODE_ENV || 'production'; // as a production bundle runs it
const { Worker, isMainThread, workerData, parentPort } = require('node:worker_threads');
const browser = require('./browser');

const SDK_PATH = require.resolve('@livechat/customer-sdk');
const CLIENT_ID = 'lc-interop-customer-sdk';
const QUIET_MS = 36000; // longer than the mock's 30 s cut-off of a connection that sends nothing

// Failures that are the SDK's own: the row, what its detail must say (failing otherwise is an
// unexpected failure), and the evidence. Lines are in
// node_modules/@livechat/customer-sdk/dist/customer-sdk.cjs.js (4.0.2).
const EXPECTED = {
  'event incoming_greeting': [/^documented payload\.text is undefined/,
    "SDK: the docs' payload has `text` (README \"Incoming greeting\": `const { text, agent } = payload`), "
    + 'but parseGreeting (dist/customer-sdk.cjs.js:1322-1341) builds {id, addon, uniqueId, displayedFirstTime, accepted, subtype, event, agent}: '
    + 'the text is only at event.text'],
  'disconnect inactivity_timeout: no reconnect': [/^the SDK opened \d+ new connection/,
    "SDK: the docs (README \"Inactivity timeout\") say the SDK won't reconnect on its own, but handlePush's "
    + 'customer_disconnected switch (dist/customer-sdk.cjs.js:1579-1621) has no inactivity_timeout case: its default branch dispatches reconnect(100) (line 1619)'],
  'event disconnected misdirected_connection': [/^events since the push: (connected|customer_id)/,
    'SDK: the docs (README "Misdirected connection") say the reason is emitted "for informational purposes", but the '
    + 'misdirected_connection case (dist/customer-sdk.cjs.js:1605-1611) only fails the requests and changes the region; '
    + 'CHANGE_REGION reinitializes the socket (line 1695) with its listeners removed, so no disconnected event is emitted'],
  'deactivateChat': [/^resolved undefined$/,
    'SDK: documented (README "deactivateChat", types/index.d.ts) to resolve {success: true}, but parseResponse '
    + '(dist/customer-sdk.cjs.js:2472-2590) has no deactivate_chat case, so the answer resolves undefined; handleResponse\'s '
    + 'CHAT_DEACTIVATED -> SUCCESS case (line 1660) is reached only by a push carrying a request_id, which socketListener '
    + '(lines 2688-2696) routes that way for incoming_chat and incoming_event only'],
  'misdirected_connection before login: no unhandled rejection': [/^\d+ x unhandled rejection: Error: Connection lost\./,
    'SDK: a misdirected_connection push that comes before the login (as the SDK expects it may: dist/customer-sdk.cjs.js:1528) '
    + 'reinitializes the socket (lines 1605-1611, 1695); the login flow then sends on the new, still connecting socket: '
    + 'sendRequestAction (lines 726-735) stores the request, socket.emit throws "Socket is not connected." '
    + '(@livechat/websocket-manager/dist/websocket-manager.cjs.js:135) before _sendLogin builds its Promise.race (line 927), '
    + 'and the reconnect that follows rejects the stored login promise (FAIL_ALL_REQUESTS, line 1729), which nobody holds: "Uncaught (in promise) Error: Connection lost."',
    // A race inside the SDK: when the new socket is already open by the time the login is sent,
    // nothing throws and the row passes (both outcomes are seen on the same machine and code).
    { race: 'only while the reinitialized socket is still connecting when the SDK sends its login' }],
};

// ---------------------------------------------------------------------------------------------
// The quiet client: its own "browser" (globals, storage, cookies) in a worker thread; it
// connects, says nothing for QUIET_MS, then reports whether it stayed connected.
if (!isMainThread) {
  const b = browser.install(workerData.base);
  const { init } = require(SDK_PATH);
  const sdk = init({ organizationId: workerData.org, clientId: CLIENT_ID });
  const events = [];
  sdk.on('*', (type, payload) => events.push({ type, reason: payload && payload.reason }));
  sdk.once('connected', ({ customer }) => {
    parentPort.postMessage({ type: 'connected', id: customer.id });
    setTimeout(async () => {
      let customer2 = null;
      let error = null;
      try { customer2 = await Promise.race([sdk.getCustomer(), new Promise((_, no) => setTimeout(() => no(new Error('no answer in 5 s')), 5000))]); } catch (e) { error = `${e.code || ''} ${e.message}`; }
      const s = b.log.sockets;
      parentPort.postMessage({ type: 'done', events, sockets: s.length, pings: s.map((x) => x.pings), closed: s.map((x) => x.closed), customer: customer2 && customer2.id, error });
      sdk.destroy();
    }, workerData.quietMs);
  });
  return;
}

// ---------------------------------------------------------------------------------------------
const mockLib = require('./mock');
const rows = [];
const started = Date.now();
let mock = null;
let B = null; // the main browser: { log, jar, localStorage, window }
let SDK = null;

const row = (name, result, detail) => { rows.push({ name, result, detail: String(detail ?? '').replace(/\s+/g, ' ').slice(0, 400) }); };
class Check extends Error {}
const expect = (cond, msg) => { if (!cond) throw new Check(msg); };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const withTimeout = (p, ms, what) => Promise.race([p, sleep(ms).then(() => { throw new Check(`${what}: no answer in ${ms} ms`); })]);
const j = (v) => JSON.stringify(v);
const isNum = (v) => typeof v === 'number' && Number.isFinite(v);
const isDate = (v) => typeof v === 'string' && !Number.isNaN(Date.parse(v));
// The code a call rejects with (attach it at once: a rejection left unhandled counts as the SDK's).
let lastError = null;
const errCode = async (p) => {
  let v;
  try { v = await withTimeout(p, 5000, 'the call'); } catch (e) { if (e instanceof Check) throw e; lastError = e; return e.code; }
  throw new Check(`resolved ${j(v)}, expected a rejection`.slice(0, 300));
};
const codeIs = (code, want) => expect(code === want, `code ${code} (${lastError && lastError.message}), expected ${want}`);

// One row: runs fn (bounded), passes when it returns (its value is the detail), fails when it throws.
const needs = {};
let current = '(setup)';
async function t(name, fn, { ms = 8000, after = [] } = {}) {
  current = name;
  const missing = after.filter((n) => !needs[n]);
  if (missing.length) { row(name, 'FAIL', `not run: needs ${missing.join(', ')}`); return undefined; }
  try {
    const detail = await withTimeout(Promise.resolve().then(fn), ms, name);
    row(name, 'PASS', detail);
    return true;
  } catch (e) {
    row(name, 'FAIL', e instanceof Check ? e.message : `${e.code ? e.code + ': ' : ''}${e.stack || e}`);
    return false;
  }
}
const skip = (name, why) => row(name, 'SKIP', why);

// Every event an instance emits, in order; waitEvent looks from a mark on.
function record(sdk) {
  const evs = [];
  sdk.on('*', (type, payload) => evs.push({ type, payload, t: Date.now() }));
  return evs;
}
async function waitEvent(evs, type, pred = () => true, from = 0, ms = 3000) {
  const end = Date.now() + ms;
  for (;;) {
    const hit = evs.slice(from).find((e) => e.type === type && pred(e.payload));
    if (hit) return hit.payload;
    if (Date.now() > end) {
      const seen = evs.slice(from).map((e) => e.type).join(', ') || 'none';
      throw new Check(`no matching ${type} in ${ms} ms (events since: ${seen})`);
    }
    await sleep(20);
  }
}
async function noEvent(evs, type, from, ms) {
  await sleep(ms);
  const hit = evs.slice(from).find((e) => e.type === type);
  if (hit) throw new Check(`unexpected ${type}: ${j(hit.payload)}`);
}
const lastFrames = (n = 3) => {
  const s = B.log.sockets[B.log.sockets.length - 1];
  return s ? `last frames in: ${s.received.slice(-n).map((f) => f.text.slice(0, 300)).join(' | ')}` : 'no socket';
};
const socketsSince = (n) => B.log.sockets.slice(n);
const ctl = (...a) => mock.ctl(...a);
const newInstance = (extra = {}) => {
  const sdk = SDK.init({ organizationId: mock.info.organization_id, clientId: CLIENT_ID, ...extra });
  return { sdk, evs: record(sdk) };
};

const uncaught = [];
// An exception the SDK throws from a socket callback, or a promise it rejects with nobody
// listening (a browser's "Uncaught (in promise)"), noted with the case it happened in.
process.on('uncaughtException', (e) => uncaught.push({ during: current, what: `${e.stack || e}`.slice(0, 300) }));
process.on('unhandledRejection', (e) => uncaught.push({ during: current, what: `unhandled rejection: ${(e && e.stack) || e}`.slice(0, 300) }));

async function main() {
  const lc = process.argv[2];
  if (!lc) throw new Error('usage: node driver.js <path-to-lc>');
  mock = await mockLib.start(lc);
  const org = mock.info.organization_id;

  // The quiet client starts first, so it is quiet through most of the suite.
  const quiet = new Worker(__filename, { workerData: { base: mock.info.base_url, org, quietMs: QUIET_MS } });
  const quietResult = new Promise((ok) => {
    const got = {};
    quiet.on('message', (m) => { got[m.type] = m; if (m.type === 'done') ok(got); });
    quiet.on('error', (e) => ok({ ...got, error: e.stack }));
    quiet.on('exit', () => ok(got));
  });

  B = browser.install(mock.info.base_url);
  SDK = require(SDK_PATH);
  const PAGE = { url: browser.PAGE, title: 'Shop' };

  // ---- connecting: auth (cookie grant), login, connected -------------------------------------
  const A = newInstance({ page: PAGE, referrer: 'https://search.example.org/' });
  const sdk = A.sdk;
  const evs = A.evs;
  let self = null;
  needs.connected = await t('init + event connected', async () => {
    const c = await waitEvent(evs, 'connected', () => true, 0, 6000);
    const cu = c.customer;
    expect(cu && cu.type === 'customer' && typeof cu.id === 'string', `customer: ${j(cu)}`);
    expect(cu.sessionFields && typeof cu.sessionFields === 'object', 'customer.sessionFields missing');
    const st = cu.statistics || {};
    expect(['chatsCount', 'threadsCount', 'visitsCount', 'pageViewsCount', 'greetingsShownCount', 'greetingsAcceptedCount'].every((k) => isNum(st[k])), `statistics: ${j(st)}`);
    expect(['online', 'offline'].includes(c.availability), `availability: ${c.availability}`);
    self = cu.id;
    A.availability = c.availability;
    return `customer ${cu.id}, availability ${c.availability}, statistics ${j(st)}`;
  });
  if (!needs.connected) row('(diagnostics)', 'INFO', `${lastFrames(2)} ${j(uncaught.slice(0, 1))}`);
  await t('event customer_id', async () => {
    const id = await waitEvent(evs, 'customer_id', () => true, 0, 100);
    expect(id === self, `${id} is not the connected customer ${self}`);
    expect(evs.findIndex((e) => e.type === 'customer_id') < evs.findIndex((e) => e.type === 'connected'), 'came after connected');
    return id;
  }, { after: ['connected'] });
  needs.token = await t('auth.getToken', async () => {
    const tok = await sdk.auth.getToken();
    expect(typeof tok.accessToken === 'string' && tok.accessToken.length > 0, 'no accessToken');
    expect(tok.entityId === self, `entityId ${tok.entityId} is not the customer ${self}`);
    expect(tok.tokenType === 'Bearer' && isNum(tok.expiresIn) && tok.expiresIn > 0 && isNum(tok.creationDate), j({ ...tok, accessToken: '…' }));
    expect(tok.organizationId === org, `organizationId ${tok.organizationId}`);
    A.token = tok;
    return `tokenType ${tok.tokenType}, expiresIn ${tok.expiresIn} ms`;
  }, { after: ['connected'] });
  await t('auth.hasToken', async () => { expect((await sdk.auth.hasToken()) === true, 'false after connecting'); return 'true'; });
  await t('login sent page, referrer, pushes; mock answered with __priv_dynamic_config', async () => {
    const s = B.log.sockets[0];
    const login = JSON.parse(s.sent[0].text);
    expect(login.action === 'login' && login.version === '3.5', s.sent[0].text.slice(0, 200));
    expect(login.payload.customer_page.url === PAGE.url && login.payload.referrer === 'https://search.example.org/', 'page/referrer not sent');
    const answer = s.received.map((f) => JSON.parse(f.text)).find((f) => f.request_id === login.request_id);
    expect(answer && answer.success === true, `login answer: ${j(answer).slice(0, 300)}`);
    expect(answer.payload.__priv_dynamic_config && answer.payload.__priv_dynamic_config.customer_groups, `no __priv_dynamic_config.customer_groups: ${j(answer.payload).slice(0, 300)}`);
    return `dynamic config ${j(answer.payload.__priv_dynamic_config)}`;
  }, { after: ['connected'] });
  await t('browser: the accounts answer passes CORS', async () => {
    const v = B.log.violations.filter((x) => x.url.includes('accounts.'));
    expect(v.length === 0, `a browser would refuse it: ${[...new Set(v.map((x) => x.problem))].join('; ')} (POST https://accounts.livechatinc.com/v2/customer/token from ${new URL(browser.PAGE).origin}, withCredentials)`);
    return 'allowed';
  });

  // ---- the customer ---------------------------------------------------------------------------
  await t('getCustomer', async () => {
    const c = await sdk.getCustomer();
    expect(c.id === self && c.type === 'customer' && typeof c.sessionFields === 'object', j(c));
    expect(isNum(c.statistics.visitsCount) && c.statistics.visitsCount >= 1, `statistics ${j(c.statistics)}`);
    return j(c.statistics);
  }, { after: ['connected'] });
  needs.groups = await t('listGroupStatuses (all, and [0])', async () => {
    const all = await sdk.listGroupStatuses();
    expect(all && typeof all === 'object' && '0' in all, `no group 0: ${j(all)}`);
    const one = await sdk.listGroupStatuses({ groupIds: [0] });
    expect(Object.keys(one).join() === '0', `asked for [0]: ${j(one)}`);
    expect(['online', 'offline', 'online_for_queue'].includes(one[0]), `status ${one[0]}`);
    A.group0 = one[0];
    return `all ${j(all)}`;
  }, { after: ['connected'] });
  await t('connected.availability matches group 0', async () => {
    const want = A.group0 === 'offline' ? 'offline' : 'online';
    expect(A.availability === want, `availability ${A.availability}, group 0 is ${A.group0}`);
    return want;
  }, { after: ['connected', 'groups'] });
  let mark = evs.length;
  await t('updateCustomer', async () => {
    const r = await sdk.updateCustomer({ name: 'Ada Lovelace', email: 'ada@example.com', sessionFields: { basket: '10usd' } });
    expect(r.success === true, j(r));
    const c = await sdk.getCustomer();
    expect(c.name === 'Ada Lovelace' && c.email === 'ada@example.com' && c.sessionFields.basket === '10usd', `getCustomer after: ${j(c)}`);
    return 'success, getCustomer shows it';
  }, { after: ['connected'] });
  await t('event customer_updated', async () => {
    const p = await waitEvent(evs, 'customer_updated', () => true, mark);
    expect(p.name === 'Ada Lovelace' && p.email === 'ada@example.com', j(p));
    return j(p);
  }, { after: ['connected'] });
  await t('setCustomerSessionFields', async () => {
    const r = await sdk.setCustomerSessionFields({ sessionFields: { plan: 'gold', basket: '12usd' } });
    expect(r.success === true, j(r));
    const c = await sdk.getCustomer();
    expect(c.sessionFields.plan === 'gold' && c.sessionFields.basket === '12usd', `sessionFields ${j(c.sessionFields)}`);
    return j(c.sessionFields);
  }, { after: ['connected'] });
  await t('updateCustomerPage', async () => {
    // No promise: the request and the mock's answer are read from the socket.
    const s = B.log.sockets[B.log.sockets.length - 1];
    const r = sdk.updateCustomerPage({ url: 'https://www.example.com/shop/cart', title: 'Cart' });
    expect(r === undefined, 'documented to return nothing');
    let sent = null;
    let answer = null;
    for (let i = 0; i < 100 && !answer; i++) {
      sent = sent || s.sent.map((f) => JSON.parse(f.text)).find((f) => f.action === 'update_customer_page');
      answer = sent && s.received.map((f) => JSON.parse(f.text)).find((f) => f.request_id === sent.request_id);
      if (!answer) await sleep(20);
    }
    expect(sent && sent.payload.url === 'https://www.example.com/shop/cart' && sent.payload.title === 'Cart', `sent ${j(sent)}`);
    expect(answer && answer.success === true, `answer ${j(answer)}`);
    return 'sent, answered success';
  }, { after: ['connected'] });
  skip('event customer_page_updated', 'the mock never sends it: the API docs removed the push on 2024-03-12 (schema/v3.5/api.json $comment)');

  // ---- configuration reads -----------------------------------------------------------------------
  await ctl('POST', '/agent/set_group_status', { group_id: 0, status: 'online' });
  await t('getPredictedAgent', async () => {
    const p = await sdk.getPredictedAgent({ groupId: 0 });
    const a = p.agent || {};
    expect(a.type === 'agent' && typeof a.id === 'string' && typeof a.name === 'string' && typeof p.queue === 'boolean', j(p));
    const agent = (await ctl('GET', '/agent')).id;
    expect(a.id === agent, `predicted ${a.id}, the mock's agent is ${agent}`);
    return j(p);
  }, { after: ['connected'] });
  await t('getPredictedAgent: GROUP_OFFLINE', async () => {
    await ctl('POST', '/agent/set_group_status', { group_id: 5, status: 'offline' });
    const code = await errCode(sdk.getPredictedAgent({ groupId: 5 }));
    codeIs(code, 'GROUP_OFFLINE');
    return code;
  }, { after: ['connected'] });
  await t('getForm (disabled, then enabled)', async () => {
    const off = await sdk.getForm({ groupId: 0, type: 'prechat' });
    expect(off.enabled === false && !('form' in off), `before set_form: ${j(off)}`);
    await ctl('POST', '/agent/set_form', { group_id: 0, type: 'prechat', form: { id: 'form-1', fields: [{ id: 'f1', type: 'header', label: 'Welcome' }, { id: 'f2', type: 'name', label: 'Your name', required: true }] } });
    const on = await sdk.getForm({ groupId: 0, type: 'prechat' });
    expect(on.enabled === true && on.form && on.form.id === 'form-1' && Array.isArray(on.form.fields) && on.form.fields.length === 2, j(on));
    return j(on).slice(0, 200);
  }, { after: ['connected'] });
  await t('getUrlInfo', async () => {
    const u = await sdk.getUrlInfo({ url: 'https://www.example.com/shop/item' });
    expect(typeof u.url === 'string', j(u));
    expect(['title', 'description', 'imageUrl', 'imageWidth', 'imageHeight'].every((k) => !(k in u) || (k.startsWith('image') && k !== 'imageUrl' ? isNum(u[k]) : typeof u[k] === 'string')), j(u));
    return j(u);
  }, { after: ['connected'] });

  // ---- greetings (before any chat) --------------------------------------------------------------------
  let greeting = null;
  mark = evs.length;
  const g1 = await ctl('POST', '/agent/greet', { customer_id: self, text: 'Need help?' }).catch((e) => ({ error: e.message }));
  needs.greeting = await t('event incoming_greeting', async () => {
    expect(!g1.error, `control greet failed: ${g1.error}`);
    const p = await waitEvent(evs, 'incoming_greeting', () => true, mark);
    greeting = p;
    expect(isNum(p.id) && p.uniqueId === g1.unique_id && typeof p.displayedFirstTime === 'boolean' && p.accepted === false, j(p));
    expect(p.agent && typeof p.agent.id === 'string' && typeof p.agent.name === 'string', `agent ${j(p.agent)}`);
    expect(p.text === 'Need help?', `documented payload.text is ${j(p.text)} (payload ${j(p).slice(0, 250)})`);
    return j(p).slice(0, 200);
  }, { after: ['connected'] });
  if (!greeting) greeting = (evs.slice(mark).find((e) => e.type === 'incoming_greeting') || {}).payload;
  if (greeting) needs.greeting = true;
  await t('reconnect: event connected carries the pending greeting', async () => {
    const m = evs.length;
    sdk.disconnect();
    await sleep(100);
    sdk.connect();
    const c = await waitEvent(evs, 'connected', () => true, m, 5000);
    expect(c.greeting && c.greeting.uniqueId === greeting.uniqueId && c.greeting.accepted === false, `greeting ${j(c.greeting)}`);
    return `greeting ${c.greeting.uniqueId}`;
  }, { after: ['greeting'] });
  mark = evs.length;
  await t('acceptGreeting', async () => {
    const r = await sdk.acceptGreeting({ greetingId: greeting.id, uniqueId: greeting.uniqueId });
    expect(r.success === true, j(r));
    const s = await ctl('GET', '/agent/greeting_status', { unique_id: greeting.uniqueId });
    expect(s.status === 'accepted', `mock says ${j(s)}`);
    return 'success, mock: accepted';
  }, { after: ['greeting'] });
  await t('event greeting_accepted', async () => {
    const p = await waitEvent(evs, 'greeting_accepted', () => true, mark);
    expect(p.uniqueId === greeting.uniqueId, j(p));
    return j(p);
  }, { after: ['greeting'] });
  await t('acceptGreeting: GREETING_NOT_FOUND', async () => {
    const code = await errCode(sdk.acceptGreeting({ greetingId: 1, uniqueId: 'no-such-greeting' }));
    codeIs(code, 'GREETING_NOT_FOUND');
    return code;
  }, { after: ['connected'] });
  mark = evs.length;
  const g2 = await ctl('POST', '/agent/greet', { customer_id: self, text: 'Still there?' }).catch((e) => ({ error: e.message }));
  await t('cancelGreeting', async () => {
    expect(!g2.error, g2.error);
    await waitEvent(evs, 'incoming_greeting', (p) => p.uniqueId === g2.unique_id, mark);
    const r = await sdk.cancelGreeting({ uniqueId: g2.unique_id });
    expect(r.success === true, j(r));
    const s = await ctl('GET', '/agent/greeting_status', { unique_id: g2.unique_id });
    expect(s.status === 'canceled', `mock says ${j(s)}`);
    return 'success, mock: canceled';
  }, { after: ['connected'] });
  await t('event greeting_canceled', async () => {
    const p = await waitEvent(evs, 'greeting_canceled', (x) => x.uniqueId === g2.unique_id, mark);
    return j(p);
  }, { after: ['connected'] });
  await t('event greeting_canceled (a new greeting replaces the shown one)', async () => {
    const m = evs.length;
    const a = await ctl('POST', '/agent/greet', { customer_id: self, text: 'one' });
    await waitEvent(evs, 'incoming_greeting', (p) => p.uniqueId === a.unique_id, m);
    const b = await ctl('POST', '/agent/greet', { customer_id: self, text: 'two' });
    await waitEvent(evs, 'greeting_canceled', (p) => p.uniqueId === a.unique_id, m);
    await waitEvent(evs, 'incoming_greeting', (p) => p.uniqueId === b.unique_id, m);
    await sdk.cancelGreeting({ uniqueId: b.unique_id });
    return `${a.unique_id} canceled by ${b.unique_id}`;
  }, { after: ['connected'] });

  // ---- a second tab of the same browser: the same customer ------------------------------------------
  const T2 = newInstance({ page: { url: 'https://www.example.com/shop/other', title: 'Other' } });
  needs.tab2 = await t('second tab: same customer (cached token)', async () => {
    const c = await waitEvent(T2.evs, 'connected', () => true, 0, 5000);
    expect(c.customer.id === self, `tab 2 is ${c.customer.id}, tab 1 ${self}`);
    return c.customer.id;
  }, { after: ['connected'] });

  // ---- the chat ---------------------------------------------------------------------------------
  let chat = null;
  let m2 = T2.evs.length;
  mark = evs.length;
  needs.chat = await t('startChat', async () => {
    const r = await sdk.startChat({ chat: { properties: { source: { type: 'sdk' } }, thread: { events: [{ type: 'message', text: 'Hello from the SDK', customId: 'c-1' }] } } });
    chat = r.chat;
    expect(chat && typeof chat.id === 'string' && chat.thread && typeof chat.thread.id === 'string', j(r).slice(0, 300));
    expect(chat.thread.active === true && chat.thread.chatId === chat.id && isDate(chat.thread.createdAt), `thread ${j(chat.thread).slice(0, 300)}`);
    const ev = chat.thread.events.find((e) => e.type === 'message');
    expect(ev && ev.text === 'Hello from the SDK' && ev.authorId === self && ev.customId === 'c-1' && isDate(ev.createdAt) && ev.threadId === chat.thread.id, `events ${j(chat.thread.events)}`);
    expect(chat.users.some((u) => u.id === self && u.type === 'customer'), `users ${j(chat.users)}`);
    expect(chat.properties.source && chat.properties.source.type === 'sdk', `properties ${j(chat.properties)}`);
    expect(chat.eventsSeenUpToMap && self in chat.eventsSeenUpToMap, `eventsSeenUpToMap ${j(chat.eventsSeenUpToMap)}`);
    return `chat ${chat.id}, thread ${chat.thread.id}`;
  }, { after: ['connected'] });
  await t('startChat: no incoming_chat event in the requesting tab', async () => {
    await noEvent(evs, 'incoming_chat', mark, 300);
    return 'the promise carries it (the push answers the request)';
  }, { after: ['chat'] });
  await t('event user_data', async () => {
    const u = await waitEvent(evs, 'user_data', (x) => x.id === self, mark);
    expect(u.type === 'customer' && !('present' in u), j(u));
    return j(u).slice(0, 200);
  }, { after: ['chat'] });
  await t('event incoming_chat (other tab)', async () => {
    const p = await waitEvent(T2.evs, 'incoming_chat', () => true, m2);
    expect(p.chat.id === chat.id && p.chat.thread.id === chat.thread.id && p.chat.thread.events.some((e) => e.text === 'Hello from the SDK'), j(p).slice(0, 300));
    return `chat ${p.chat.id}`;
  }, { after: ['chat', 'tab2'] });
  await t('startChat: CHAT_LIMIT_REACHED', async () => {
    const code = await errCode(sdk.startChat());
    codeIs(code, 'CHAT_LIMIT_REACHED');
    return code;
  }, { after: ['chat'] });
  let mine = null;
  m2 = T2.evs.length;
  needs.sent = await t('sendEvent (message)', async () => {
    const e = await sdk.sendEvent({ chatId: chat.id, event: { type: 'message', text: 'Second message', customId: 'c-2', properties: { note: { a: '1' } } } });
    mine = e;
    expect(e.type === 'message' && e.text === 'Second message' && e.customId === 'c-2' && typeof e.id === 'string', j(e));
    expect(e.authorId === self && e.threadId === chat.thread.id && isDate(e.createdAt), j(e));
    return j(e).slice(0, 200);
  }, { after: ['chat'] });
  await t('event incoming_event (other tab)', async () => {
    const p = await waitEvent(T2.evs, 'incoming_event', (x) => x.event && x.event.id === mine.id, m2);
    expect(p.chatId === chat.id && p.event.text === 'Second message', j(p));
    return j(p).slice(0, 200);
  }, { after: ['sent', 'tab2'] });
  await t('sendEvent (custom, attachToLastThread)', async () => {
    const e = await sdk.sendEvent({ chatId: chat.id, event: { type: 'custom', content: { kind: 'cart', items: 2 } }, attachToLastThread: true });
    expect(e.type === 'custom' && e.content && e.content.items === 2 && e.threadId === chat.thread.id, j(e));
    return j(e).slice(0, 200);
  }, { after: ['chat'] });
  await t('sendEvent: an error rejects with its code', async () => {
    const code = await errCode(sdk.sendEvent({ chatId: 'NOSUCHCHAT', event: { type: 'message', text: 'x' } }));
    expect(typeof code === 'string' && code === code.toUpperCase() && code.length > 0, `code ${code}`);
    return code;
  }, { after: ['connected'] });

  // agent side
  const agentId = (await ctl('GET', '/agent')).id;
  mark = evs.length;
  needs.joined = await t('event user_added_to_chat', async () => {
    await ctl('POST', '/agent/join', { chat_id: chat.id });
    const p = await waitEvent(evs, 'user_added_to_chat', () => true, mark);
    expect(p.chatId === chat.id && p.user && p.user.id === agentId && p.user.type === 'agent' && typeof p.present === 'boolean', j(p));
    return j(p).slice(0, 200);
  }, { after: ['chat'] });
  await t('event user_data (agent)', async () => {
    const u = await waitEvent(evs, 'user_data', (x) => x.id === agentId, mark);
    expect(u.type === 'agent' && 'jobTitle' in u && !('present' in u), j(u));
    return j(u);
  }, { after: ['joined'] });
  let agentMsg = null;
  mark = evs.length;
  await t('event incoming_event (agent message)', async () => {
    const r = await ctl('POST', '/agent/send_message', { chat_id: chat.id, text: 'Hi, how can I help?' });
    const p = await waitEvent(evs, 'incoming_event', (x) => x.event && x.event.id === r.event_id, mark);
    agentMsg = p.event;
    expect(p.chatId === chat.id && p.event.type === 'message' && p.event.text === 'Hi, how can I help?' && p.event.authorId === agentId && p.event.threadId === chat.thread.id, j(p));
    return j(p).slice(0, 200);
  }, { after: ['joined'] });
  mark = evs.length;
  await t('event incoming_typing_indicator', async () => {
    await ctl('POST', '/agent/typing', { chat_id: chat.id, is_typing: true });
    const p = await waitEvent(evs, 'incoming_typing_indicator', () => true, mark);
    expect(p.chatId === chat.id && p.typingIndicator.authorId === agentId && p.typingIndicator.isTyping === true, j(p));
    await ctl('POST', '/agent/typing', { chat_id: chat.id, is_typing: false });
    const q = await waitEvent(evs, 'incoming_typing_indicator', (x) => x.typingIndicator.isTyping === false, mark);
    return `${j(p)}, then isTyping ${q.typingIndicator.isTyping}`;
  }, { after: ['joined'] });
  await t('agent thinking and event preview (3.6+ pushes): nothing emitted', async () => {
    const m = evs.length;
    await ctl('POST', '/agent/thinking', { chat_id: chat.id, title: 'Looking it up' });
    await ctl('POST', '/agent/event_preview', { chat_id: chat.id, text: 'Let me che' });
    await sleep(300);
    const got = evs.slice(m).map((e) => e.type);
    expect(got.length === 0, `emitted ${got}`);
    return 'none (the frame check below looks at the wire)';
  }, { after: ['joined'] });
  await t('on / once / off', async () => {
    const m = evs.length;
    let on = 0;
    let once = 0;
    let offed = 0;
    const hOn = () => { on += 1; };
    const hOff = () => { offed += 1; };
    sdk.on('incoming_typing_indicator', hOn);
    sdk.once('incoming_typing_indicator', () => { once += 1; });
    sdk.on('incoming_typing_indicator', hOff);
    sdk.off('incoming_typing_indicator', hOff);
    await ctl('POST', '/agent/typing', { chat_id: chat.id, is_typing: true });
    await ctl('POST', '/agent/typing', { chat_id: chat.id, is_typing: false });
    await waitEvent(evs, 'incoming_typing_indicator', (x) => x.typingIndicator.isTyping === false, m);
    sdk.off('incoming_typing_indicator', hOn);
    expect(on === 2 && once === 1 && offed === 0, `on ${on}/2, once ${once}/1, off ${offed}/0`);
    return 'on 2, once 1, off 0';
  }, { after: ['joined'] });
  let rich = null;
  mark = evs.length;
  needs.rich = await t('event incoming_event (rich message)', async () => {
    const r = await ctl('POST', '/agent/send_rich_message', { chat_id: chat.id, template_id: 'quick_replies', elements: [{ title: 'Pick one', buttons: [{ type: 'message', text: 'Yes', postback_id: 'pb-yes', user_ids: [], value: 'yes' }, { type: 'message', text: 'No', postback_id: 'pb-no', user_ids: [], value: 'no' }] }] });
    const p = await waitEvent(evs, 'incoming_event', (x) => x.event && x.event.id === r.event_id, mark);
    rich = p.event;
    const b0 = rich.elements && rich.elements[0] && rich.elements[0].buttons && rich.elements[0].buttons[0];
    expect(rich.type === 'rich_message' && rich.template === 'quick_replies' && rich.elements[0].title === 'Pick one' && b0 && b0.postbackId === 'pb-yes' && b0.text === 'Yes', j(p).slice(0, 400));
    return j(rich).slice(0, 200);
  }, { after: ['joined'] });
  mark = evs.length;
  await t('sendRichMessagePostback', async () => {
    const r = await sdk.sendRichMessagePostback({ chatId: chat.id, threadId: rich.threadId, eventId: rich.id, postback: { id: 'pb-yes', toggled: true } });
    expect(r.success === true, j(r));
    return 'success';
  }, { after: ['rich'] });
  await t('event incoming_rich_message_postback', async () => {
    const p = await waitEvent(evs, 'incoming_rich_message_postback', () => true, mark);
    expect(p.chatId === chat.id && p.threadId === rich.threadId && p.eventId === rich.id && p.userId === self && p.postback.id === 'pb-yes' && p.postback.toggled === true, j(p));
    return j(p);
  }, { after: ['rich'] });
  mark = evs.length;
  await t('event event_updated', async () => {
    await ctl('POST', '/agent/edit_message', { chat_id: chat.id, event_id: agentMsg.id, text: 'Hi! How can I help?' });
    const p = await waitEvent(evs, 'event_updated', () => true, mark);
    expect(p.chatId === chat.id && p.threadId === chat.thread.id && p.event.id === agentMsg.id && p.event.text === 'Hi! How can I help?', j(p));
    return j(p).slice(0, 200);
  }, { after: ['joined'] });
  mark = evs.length;
  await t('event incoming_event (agent file)', async () => {
    const r = await ctl('POST', '/agent/send_file', { chat_id: chat.id, name: 'terms.txt', content_type: 'text/plain', content: 'the terms' });
    const p = await waitEvent(evs, 'incoming_event', (x) => x.event && x.event.id === r.event_id, mark);
    expect(p.event.type === 'file' && p.event.name === 'terms.txt' && p.event.contentType === 'text/plain' && typeof p.event.url === 'string', j(p));
    return j(p.event).slice(0, 200);
  }, { after: ['joined'] });
  mark = evs.length;
  await t('event incoming_multicast', async () => {
    await ctl('POST', '/agent/multicast', { customer_ids: [self], content: { promo: 'spring' } });
    const p = await waitEvent(evs, 'incoming_multicast', () => true, mark);
    expect(j(p).includes('spring'), j(p));
    return j(p);
  }, { after: ['connected'] });
  await t('customer_side_storage_updated: kept in localStorage, sent at login', async () => {
    await ctl('POST', '/agent/update_side_storage', { customer_id: self, storage: { visits_seen: '3' } });
    const key = `side_storage_${org}`;
    for (let i = 0; i < 50 && !B.localStorage.getItem(key); i++) await sleep(20);
    expect((B.localStorage.getItem(key) || '').includes('visits_seen'), `localStorage ${key}: ${B.localStorage.getItem(key)}`);
    const m = evs.length;
    sdk.disconnect();
    sdk.connect();
    await waitEvent(evs, 'connected', () => true, m, 5000);
    const login = JSON.parse(B.log.sockets[B.log.sockets.length - 1].sent[0].text);
    expect(login.action === 'login' && j(login.payload.customer_side_storage) === j({ visits_seen: '3' }), `next login sent ${j(login.payload.customer_side_storage)}`);
    return `${key} = ${B.localStorage.getItem(key)}, sent with the next login`;
  }, { after: ['connected'] });

  // properties
  const props = async (name, call, event, pred) => {
    const m = evs.length;
    await t(name, async () => { const r = await call(); expect(r.success === true, j(r)); return 'success'; }, { after: ['chat'] });
    await t(`event ${event}`, async () => j(await waitEvent(evs, event, pred, m)).slice(0, 200), { after: ['chat'] });
  };
  await props('updateChatProperties', () => sdk.updateChatProperties({ id: chat.id, properties: { cart: { total: '42' } } }), 'chat_properties_updated', (p) => p.chatId === chat.id && p.properties.cart && p.properties.cart.total === '42');
  await props('deleteChatProperties', () => sdk.deleteChatProperties({ id: chat.id, properties: { cart: ['total'] } }), 'chat_properties_deleted', (p) => p.chatId === chat.id && j(p.properties).includes('total'));
  await props('updateThreadProperties', () => sdk.updateThreadProperties({ chatId: chat.id, threadId: chat.thread.id, properties: { routing: { transcript_email: 'ada@example.com' } } }), 'thread_properties_updated', (p) => p.threadId === chat.thread.id && p.properties.routing);
  await props('deleteThreadProperties', () => sdk.deleteThreadProperties({ chatId: chat.id, threadId: chat.thread.id, properties: { routing: ['transcript_email'] } }), 'thread_properties_deleted', (p) => p.threadId === chat.thread.id && j(p.properties).includes('transcript_email'));
  await props('updateEventProperties', () => sdk.updateEventProperties({ chatId: chat.id, threadId: chat.thread.id, eventId: mine.id, properties: { note: { a: '2' } } }), 'event_properties_updated', (p) => p.eventId === mine.id && p.properties.note && p.properties.note.a === '2');
  await props('deleteEventProperties', () => sdk.deleteEventProperties({ chatId: chat.id, threadId: chat.thread.id, eventId: mine.id, properties: { note: ['a'] } }), 'event_properties_deleted', (p) => p.eventId === mine.id && j(p.properties).includes('a'));
  mark = evs.length;
  await t('event chat_properties_updated (agent)', async () => {
    await ctl('POST', '/agent/update_properties', { chat_id: chat.id, properties: { agentns: { flag: 'on' } } });
    return j(await waitEvent(evs, 'chat_properties_updated', (p) => p.properties.agentns, mark));
  }, { after: ['joined'] });

  mark = evs.length;
  await t('markEventsAsSeen', async () => {
    const r = await sdk.markEventsAsSeen({ chatId: chat.id, seenUpTo: agentMsg.createdAt });
    expect(r.success === true, j(r));
    const c = await sdk.getChat({ chatId: chat.id });
    expect(c.eventsSeenUpToMap[self] && c.eventsSeenUpToMap[self] >= agentMsg.createdAt, `eventsSeenUpToMap ${j(c.eventsSeenUpToMap)}`);
    return `seen up to ${c.eventsSeenUpToMap[self]}`;
  }, { after: ['joined'] });
  await t('event events_marked_as_seen', async () => {
    const p = await waitEvent(evs, 'events_marked_as_seen', () => true, mark);
    expect(p.chatId === chat.id && p.userId === self && isDate(p.seenUpTo), j(p));
    return j(p);
  }, { after: ['joined'] });
  await t('setSneakPeek (active chat)', async () => {
    expect(sdk.setSneakPeek({ chatId: chat.id, sneakPeekText: 'I would like to ask' }) === undefined, 'documented to return nothing');
    let s = null;
    for (let i = 0; i < 50; i++) { s = await ctl('GET', '/agent/sneak_peek', { chat_id: chat.id }); if (s.sneak_peek) break; await sleep(40); }
    expect(j(s).includes('I would like to ask'), `the agent sees ${j(s)}`);
    return j(s);
  }, { after: ['chat'] });

  await t('getChat', async () => {
    const c = await sdk.getChat({ chatId: chat.id });
    expect(c.id === chat.id && c.thread && c.thread.id === chat.thread.id && c.users.some((u) => u.id === agentId), j(c).slice(0, 300));
    const ids = c.thread.events.map((e) => e.id);
    expect([mine.id, agentMsg.id, rich.id].every((id) => ids.includes(id)), `events ${ids}`);
    expect(c.access && typeof c.properties === 'object', j(c).slice(0, 200));
    const c2 = await sdk.getChat({ chatId: chat.id, threadId: chat.thread.id });
    expect(c2.thread.id === chat.thread.id, `with threadId: ${c2.thread && c2.thread.id}`);
    return `${ids.length} events`;
  }, { after: ['rich'] });
  await t('listChats', async () => {
    const l = await sdk.listChats();
    expect(l.totalChats === 1 && l.chatsSummary.length === 1, j(l).slice(0, 300));
    const s = l.chatsSummary[0];
    expect(s.id === chat.id && s.active === true && s.lastThreadId === chat.thread.id && s.users.length >= 2, j(s).slice(0, 300));
    expect(s.lastEvent && s.lastEventsPerType && s.lastEventsPerType.message, `lastEvent ${j(s.lastEvent)}, lastEventsPerType ${j(s.lastEventsPerType)}`.slice(0, 300));
    expect(l.previousPageId === null && l.nextPageId === null, `page ids ${l.previousPageId} ${l.nextPageId}`);
    const limited = await sdk.listChats({ limit: 1 });
    expect(limited.chatsSummary.length === 1, j(limited).slice(0, 200));
    return `${l.totalChats} chat, lastEvent ${s.lastEvent.type}`;
  }, { after: ['chat'] });
  await t('listChats: limit over 25 rejected', async () => {
    let err = null;
    try { await sdk.listChats({ limit: 26 }); } catch (e) { err = e; }
    expect(err && /limit/i.test(err.message), `${err}`);
    return err.message;
  });
  await t('listThreads', async () => {
    const l = await sdk.listThreads({ chatId: chat.id });
    expect(l.threads.length === 1 && l.threads[0].id === chat.thread.id && l.threads[0].chatId === chat.id && l.threads[0].active === true, j(l).slice(0, 300));
    expect(Array.isArray(l.threads[0].userIds) && isDate(l.threads[0].createdAt) && l.threads[0].events.length >= 4, j(l.threads[0]).slice(0, 300));
    return `${l.threads.length} thread, ${l.threads[0].events.length} events`;
  }, { after: ['chat'] });

  // queue and transfer
  mark = evs.length;
  await ctl('POST', '/agent/set_group_status', { group_id: 2, status: 'online' });
  await t('event chat_transferred', async () => {
    await ctl('POST', '/agent/transfer', { chat_id: chat.id, group_ids: [2], queue: { position: 2, wait_time: 30 } });
    const p = await waitEvent(evs, 'chat_transferred', () => true, mark);
    expect(p.chatId === chat.id && p.threadId === chat.thread.id && typeof p.reason === 'string' && j(p.transferredTo.groupIds) === '[2]', j(p));
    expect(p.queue && p.queue.position === 2 && p.queue.waitTime === 30 && isDate(p.queue.queuedAt), `queue ${j(p.queue)}`);
    if (p.reason === 'manual') expect(typeof p.requesterId === 'string', `manual without requesterId: ${j(p)}`);
    return j(p).slice(0, 250);
  }, { after: ['joined'] });
  mark = evs.length;
  await t('event queue_position_updated', async () => {
    await ctl('POST', '/agent/update_queue', { chat_id: chat.id, position: 1, wait_time: 10 });
    const p = await waitEvent(evs, 'queue_position_updated', (x) => x.queue && x.queue.position === 1, mark);
    expect(p.chatId === chat.id && p.threadId === chat.thread.id && p.queue.waitTime === 10, j(p));
    return j(p);
  }, { after: ['chat'] });
  mark = evs.length;
  await t('event availability_updated', async () => {
    await ctl('POST', '/agent/set_group_status', { group_id: 0, status: 'offline' });
    const p = await waitEvent(evs, 'availability_updated', (x) => x.availability === 'offline', mark);
    await ctl('POST', '/agent/set_group_status', { group_id: 0, status: 'online' });
    await waitEvent(evs, 'availability_updated', (x) => x.availability === 'online', mark);
    return `${j(p)}, then online`;
  }, { after: ['connected'] });

  // rating
  mark = evs.length;
  await t('rateChat', async () => {
    const r = await sdk.rateChat({ chatId: chat.id, rating: { score: 1, comment: 'Helpful' } });
    expect(r.success === true, j(r));
    const p = await waitEvent(evs, 'thread_properties_updated', (x) => x.properties.rating, mark);
    expect(p.properties.rating.score === 1 && p.properties.rating.comment === 'Helpful', j(p));
    return `success, ${j(p.properties)}`;
  }, { after: ['chat'] });
  mark = evs.length;
  await t('cancelRate', async () => {
    const r = await sdk.cancelRate({ chatId: chat.id, properties: ['score', 'comment'] });
    expect(r.success === true, j(r));
    const p = await waitEvent(evs, 'thread_properties_deleted', (x) => x.properties.rating, mark);
    return `success, ${j(p.properties)}`;
  }, { after: ['chat'] });

  // upload
  await t('uploadFile', async () => {
    const progress = [];
    const file = new File([Buffer.from('PNG-ish bytes '.repeat(100))], 'photo.png', { type: 'image/png' });
    const { promise, cancel } = sdk.uploadFile({ file, onProgress: (p) => progress.push(p) });
    expect(typeof cancel === 'function', 'no cancel');
    const r = await promise;
    expect(r && typeof r.url === 'string' && /^https?:\/\//.test(r.url), j(r));
    expect(progress.length > 0 && progress.every((p) => p >= 0 && p <= 1) && progress[progress.length - 1] === 1, `progress ${j(progress)}`);
    A.uploaded = r.url;
    return r.url;
  }, { after: ['connected'] });
  await t('browser: the upload passes CORS', async () => {
    const v = B.log.violations.filter((x) => x.url.includes('/upload_file'));
    expect(B.log.xhr.some((x) => x.url.includes('/upload_file')), 'no upload request seen');
    expect(v.length === 0, `a browser would refuse it: ${[...new Set(v.map((x) => x.problem))].join('; ')}`);
    return 'allowed';
  });
  await t('sendEvent (file from uploadFile)', async () => {
    expect(A.uploaded, 'no uploaded URL');
    const e = await sdk.sendEvent({ chatId: chat.id, event: { type: 'file', url: A.uploaded } });
    expect(e.type === 'file' && e.url === A.uploaded && e.authorId === self, j(e));
    return j(e).slice(0, 200);
  }, { after: ['chat'] });
  await t('uploadFile: cancel', async () => {
    const { promise, cancel } = sdk.uploadFile({ file: new File(['x'.repeat(1000)], 'a.txt', { type: 'text/plain' }) });
    cancel();
    const code = await errCode(promise);
    expect(code === 'UPLOAD_CANCELED' || code === undefined, `code ${code}`);
    return `rejected (${code})`;
  });
  await t('uploadFile: TOO_BIG_FILE over 10 MB', async () => {
    const code = await errCode(sdk.uploadFile({ file: new File([Buffer.alloc(10 * 1024 * 1024 + 1)], 'big.bin') }).promise);
    codeIs(code, 'TOO_BIG_FILE');
    return code;
  });

  // deactivate, resume, history
  mark = evs.length;
  await ctl('POST', '/agent/leave', { chat_id: chat.id }).catch(() => {});
  await t('event user_removed_from_chat', async () => {
    const p = await waitEvent(evs, 'user_removed_from_chat', () => true, mark);
    expect(p.chatId === chat.id && p.userId === agentId, j(p));
    return j(p);
  }, { after: ['joined'] });
  mark = evs.length;
  let deactivated = null;
  await t('deactivateChat', async () => {
    deactivated = withTimeout(sdk.deactivateChat({ id: chat.id }), 5000, 'deactivateChat').then((r) => ({ r }), (e) => ({ e }));
    const { r, e } = await deactivated;
    if (e) throw e;
    expect(r && r.success === true, `resolved ${j(r)}`);
    return 'success';
  }, { after: ['chat'] });
  needs.deactivated = deactivated && !(await deactivated).e;
  await t('event chat_deactivated', async () => {
    const p = await waitEvent(evs, 'chat_deactivated', () => true, mark);
    expect(p.chatId === chat.id, j(p));
    return j(p);
  }, { after: ['chat'] });
  await t('setSneakPeek (inactive chat): not sent', async () => {
    const n = (await ctl('GET', '/requests')).rtm.send_sneak_peek || 0;
    sdk.setSneakPeek({ chatId: chat.id, sneakPeekText: 'should not go' });
    await sleep(300);
    const n2 = (await ctl('GET', '/requests')).rtm.send_sneak_peek || 0;
    expect(n2 === n, `send_sneak_peek sent ${n2 - n} times`);
    return 'not sent';
  }, { after: ['deactivated'] });
  let thread2 = null;
  needs.resumed = await t('resumeChat', async () => {
    const r = await sdk.resumeChat({ chat: { id: chat.id, thread: { events: [{ type: 'message', text: 'Back again' }] } } });
    thread2 = r.chat.thread;
    expect(r.chat.id === chat.id && thread2.id !== chat.thread.id && thread2.active === true, j(r).slice(0, 300));
    expect(thread2.events.some((e) => e.text === 'Back again'), `events ${j(thread2.events)}`);
    expect(thread2.previousThreadId === chat.thread.id, `previousThreadId ${thread2.previousThreadId}`);
    return `thread ${thread2.id}`;
  }, { after: ['deactivated'] });
  needs.history = await t('30 agent messages in the new thread', async () => {
    await ctl('POST', '/agent/join', { chat_id: chat.id });
    for (let i = 0; i < 30; i++) await ctl('POST', '/agent/send_message', { chat_id: chat.id, text: `history ${i}` });
    const m = evs.length;
    await waitEvent(evs, 'incoming_event', (p) => p.event && p.event.text === 'history 29', m - 40 < 0 ? 0 : m - 40);
    return 'received';
  }, { after: ['resumed'] });
  await t('resumeChat: CHAT_ALREADY_ACTIVE', async () => {
    const code = await errCode(sdk.resumeChat({ chat: { id: chat.id } }));
    codeIs(code, 'CHAT_ALREADY_ACTIVE');
    return code;
  }, { after: ['resumed'] });
  await t('event chat_deactivated (agent)', async () => {
    const m = evs.length;
    await ctl('POST', '/agent/deactivate_chat', { chat_id: chat.id });
    return j(await waitEvent(evs, 'chat_deactivated', (p) => p.chatId === chat.id, m));
  }, { after: ['resumed'] });
  await t('listThreads: pages (limit 1, sortOrder asc)', async () => {
    const p1 = await sdk.listThreads({ chatId: chat.id, sortOrder: 'asc', limit: 1 });
    expect(p1.threads.length === 1 && p1.threads[0].id === chat.thread.id && p1.nextPageId, `page 1 ${j({ ids: p1.threads.map((x) => x.id), next: p1.nextPageId })}`);
    const p2 = await sdk.listThreads({ chatId: chat.id, pageId: p1.nextPageId });
    expect(p2.threads.length === 1 && p2.threads[0].id === thread2.id && p2.previousPageId, `page 2 ${j({ ids: p2.threads.map((x) => x.id), prev: p2.previousPageId, next: p2.nextPageId })}`);
    return 'two pages';
  }, { after: ['resumed'] });
  await t('getChatHistory: every page to done', async () => {
    // Thread 2 has over 25 events (the SDK asks list_threads for min_events_count 25), so the
    // newest page is thread 2 alone, with a next page holding thread 1.
    const h = sdk.getChatHistory({ chatId: chat.id });
    const pages = [];
    for (let i = 0; i < 20; i++) {
      const r = await h.next();
      if (r.value) pages.push(r.value.threads);
      if (r.done) break;
    }
    const after = await h.next();
    expect(after.done === true && after.value === undefined, `after done: ${j(after)}`);
    const threads = pages.flat();
    const ids = [...new Set(threads.map((x) => x.id))];
    const events = threads.flatMap((x) => x.events);
    expect(ids.length === 2 && ids.includes(chat.thread.id) && ids.includes(thread2.id) && threads.length === 2, `threads ${threads.map((x) => x.id)}`);
    expect(pages.length === 2 && pages[0][0].id === thread2.id && pages[1][0].id === chat.thread.id, `pages ${j(pages.map((p) => p.map((x) => `${x.id}:${x.events.length}`)))} (newest first)`);
    expect(new Set(events.map((e) => e.id)).size === events.length, 'an event twice');
    expect(events.some((e) => e.id === mine.id) && events.some((e) => e.text === 'Back again') && events.some((e) => e.text === 'history 29'), `${events.length} events, some missing`);
    return `${pages.length} pages, ${ids.length} threads, ${events.length} events`;
  }, { after: ['resumed', 'history'] });

  // auth
  await t('auth.invalidate, hasToken, getToken (cookie grant keeps the customer)', async () => {
    await sdk.auth.invalidate();
    expect((await sdk.auth.hasToken()) === false, 'hasToken true after invalidate');
    const n = B.log.xhr.length;
    const tok = await sdk.auth.getToken();
    expect(B.log.xhr.length === n + 1 && B.log.xhr[n].url.includes('/v2/customer/token'), 'no new token request');
    expect(tok.entityId === self, `new token is for ${tok.entityId}, not ${self}`);
    expect(tok.accessToken !== A.token.accessToken, 'the same token again');
    return 'new token, same customer';
  }, { after: ['token'] });

  // window offline/online
  await t('event connection_unstable / connection_recovered', async () => {
    const m = evs.length;
    B.window.dispatchEvent(new Event('offline'));
    await waitEvent(evs, 'connection_unstable', () => true, m, 1000);
    B.window.dispatchEvent(new Event('online'));
    // recovered when a frame arrives within 2 s of `online`
    await sleep(100);
    await ctl('POST', '/agent/multicast', { customer_ids: [self], content: { ping: 1 } });
    await waitEvent(evs, 'connection_recovered', () => true, m, 2500);
    return 'unstable, then recovered';
  }, { after: ['connected'] });

  // ---- error answers ------------------------------------------------------------------------------
  await t('fail_next: the error code reaches the caller', async () => {
    await ctl('POST', '/faults/fail_next', { type: 'service_unavailable' });
    const code = await errCode(sdk.getCustomer());
    codeIs(code, 'SERVICE_UNAVAILABLE');
    return code;
  }, { after: ['connected'] });
  await t('in-flight request on a server disconnect: CONNECTION_LOST', async () => {
    await ctl('POST', '/faults/delay_responses', { delay_ms: 1500 });
    const p = errCode(sdk.getCustomer());
    await sleep(200);
    await ctl('POST', '/agent/disconnect', { customer_id: self, reason: 'internal_error' });
    const code = await p;
    await ctl('POST', '/faults/delay_responses', { delay_ms: 0 });
    codeIs(code, 'CONNECTION_LOST');
    return code;
  }, { after: ['connected'] });
  await ctl('POST', '/faults/delay_responses', { delay_ms: 0 });

  // ---- disconnect / connect, survivable server disconnects ---------------------------------------------
  T2.sdk.destroy();
  const reconnects = async (name, reason, data, extra) => t(name, async () => {
    const m = evs.length;
    const s = B.log.sockets.length;
    const r = await ctl('POST', '/agent/disconnect', { customer_id: self, reason, ...(data ? { data } : {}) });
    expect(r.connections >= 1, `the mock closed ${r.connections} connections`);
    const d = await waitEvent(evs, 'disconnected', () => true, m);
    expect(d.reason === reason, `disconnected ${j(d)}`);
    const c = await waitEvent(evs, 'connected', () => true, m, 5000);
    expect(c.customer.id === self, `reconnected as ${c.customer.id}`);
    const more = extra ? await extra(socketsSince(s)) : '';
    const cu = await sdk.getCustomer();
    expect(cu.id === self, 'getCustomer after reconnect');
    return `disconnected ${reason}, connected again ${more}`;
  }, { after: ['connected'], ms: 9000 });
  await t('disconnect(): calls fail NO_CONNECTION; connect()', async () => {
    const m = evs.length;
    sdk.disconnect();
    codeIs(await errCode(sdk.getCustomer()), 'NO_CONNECTION');
    sdk.connect();
    const c = await waitEvent(evs, 'connected', () => true, m, 5000);
    expect(c.customer.id === self, c.customer.id);
    return 'NO_CONNECTION, then connected';
  }, { after: ['connected'] });
  await reconnects('disconnect internal_error: reconnects', 'internal_error');
  await t('disconnect too_many_unauthorized_connections: reconnects', async () => {
    // The docs: "Once you get authorized, you stay that way and the Customer SDK reconnects on its own".
    const m = evs.length;
    await ctl('POST', '/agent/disconnect', { customer_id: self, reason: 'too_many_unauthorized_connections' });
    await waitEvent(evs, 'disconnected', () => true, m);
    const c = await waitEvent(evs, 'connected', () => true, m, 6000);
    expect(c.customer.id === self, c.customer.id);
    return `disconnected ${evs.slice(m).find((e) => e.type === 'disconnected').payload.reason}, connected again`;
  }, { after: ['connected'] });
  let inactivityMark = evs.length;
  await t('disconnect inactivity_timeout: no reconnect', async () => {
    const m = evs.length;
    inactivityMark = m;
    const s = B.log.sockets.length;
    await ctl('POST', '/agent/disconnect', { customer_id: self, reason: 'inactivity_timeout' });
    const d = await waitEvent(evs, 'disconnected', () => true, m);
    expect(d.reason === 'inactivity_timeout', j(d));
    await sleep(1500);
    const opened = socketsSince(s).length;
    expect(opened === 0, `the SDK opened ${opened} new connection(s) on its own`);
    return 'stayed disconnected';
  }, { after: ['connected'] });
  await t('connect() after inactivity_timeout', async () => {
    // (when the SDK reconnected on its own, connect() throws "Socket is already open or connecting.")
    try { sdk.connect(); } catch (e) { /* reconnected on its own */ }
    await waitEvent(evs, 'connected', () => true, inactivityMark, 5000);
    return 'connected';
  }, { after: ['connected'] });
  await reconnects('disconnect access_token_expired: new token, reconnects', 'access_token_expired', null, async () => {
    const tok = await sdk.auth.getToken();
    expect(tok.entityId === self, `new token for ${tok.entityId}`);
    return 'with a fresh token for the same customer';
  });
  let misdirectedMark = evs.length;
  await t('disconnect misdirected_connection: reconnects to the region', async () => {
    const m = evs.length;
    misdirectedMark = m;
    const s = B.log.sockets.length;
    // The push tells the truth: the mock moves to fra first (it reads a browser's region from
    // the host, api-fra.livechatinc.com, as it cannot send X-Region).
    await ctl('POST', '/region', { region: 'fra' });
    await ctl('POST', '/agent/disconnect', { customer_id: self, reason: 'misdirected_connection', data: { region: 'fra' } });
    const c = await waitEvent(evs, 'connected', () => true, m, 5000);
    expect(c.customer.id === self, `reconnected as ${c.customer.id}`);
    const hosts = socketsSince(s).map((x) => new URL(x.url).hostname);
    expect(hosts.length >= 1 && hosts.every((h) => h === 'api-fra.livechatinc.com'), `reconnected to ${hosts}`);
    return `connected again at ${hosts.join(', ')}`;
  }, { after: ['connected'] });
  await t('event disconnected misdirected_connection', async () => {
    const d = evs.slice(misdirectedMark).find((e) => e.type === 'disconnected');
    expect(d && d.payload.reason === 'misdirected_connection', `events since the push: ${evs.slice(misdirectedMark).map((e) => e.type).join(', ')}`);
    return j(d.payload);
  }, { after: ['connected'] });
  sdk.destroy();
  await ctl('POST', '/region', { region: 'dal' });

  // ---- listChats pages (a customer starts one chat; the agent side opens a second) ---------------
  {
    const P = newInstance();
    await t('listChats: pageId walks to the next page and back', async () => {
      const c = await waitEvent(P.evs, 'connected', () => true, 0, 5000);
      const id = c.customer.id;
      const active = await ctl('GET', '/agent/active_chat', { customer_id: id });
      if (active.chat_id) await ctl('POST', '/agent/deactivate_chat', { chat_id: active.chat_id });
      const opened = await ctl('POST', '/agent/start_chat', { customer_id: id });
      await ctl('POST', '/agent/deactivate_chat', { chat_id: opened.chat_id });
      const first = await P.sdk.listChats({ limit: 1 });
      expect(first.totalChats >= 2 && first.chatsSummary.length === 1 && first.nextPageId, j(first).slice(0, 300));
      const second = await P.sdk.listChats({ pageId: first.nextPageId });
      expect(second.chatsSummary.length === 1 && second.chatsSummary[0].id !== first.chatsSummary[0].id, j(second).slice(0, 300));
      expect(second.previousPageId, `previousPageId ${second.previousPageId}`);
      const back = await P.sdk.listChats({ pageId: second.previousPageId });
      expect(back.chatsSummary[0].id === first.chatsSummary[0].id, j(back).slice(0, 300));
      return `${first.totalChats} chats, one per page`;
    });
    P.sdk.destroy();
  }

  // ---- destroy ---------------------------------------------------------------------------------------
  {
    const D = newInstance();
    await t('destroy(): pending and later calls fail SDK_DESTROYED, socket closed', async () => {
      await waitEvent(D.evs, 'connected', () => true, 0, 5000);
      const s = B.log.sockets[B.log.sockets.length - 1];
      await ctl('POST', '/faults/delay_responses', { delay_ms: 1000 });
      const pending = errCode(D.sdk.getCustomer());
      await sleep(100);
      D.sdk.destroy();
      const c1 = await pending;
      await ctl('POST', '/faults/delay_responses', { delay_ms: 0 });
      const c2 = await errCode(D.sdk.getCustomer());
      expect(c1 === 'SDK_DESTROYED' && c2 === 'SDK_DESTROYED', `pending ${c1}, later ${c2}`);
      await sleep(200);
      expect(s.closed, 'socket still open');
      return `pending ${c1}, later ${c2}, socket closed`;
    }, { ms: 9000 });
    await ctl('POST', '/faults/delay_responses', { delay_ms: 0 });
  }

  // ---- fatal server disconnects: the instance is destroyed ---------------------------------------------
  for (const reason of ['customer_banned', 'too_many_connections', 'customer_temporarily_blocked', 'license_not_found', 'unsupported_version']) {
    const F = newInstance();
    await t(`disconnect ${reason}: destroyed`, async () => {
      await waitEvent(F.evs, 'connected', () => true, 0, 5000);
      const s = B.log.sockets.length;
      const m = F.evs.length;
      await ctl('POST', '/agent/disconnect', { customer_id: self, reason });
      const d = await waitEvent(F.evs, 'disconnected', () => true, m);
      expect(d.reason === reason, j(d));
      const code = await errCode(F.sdk.getCustomer());
      expect(code === 'SDK_DESTROYED', `a call after it: ${code}`);
      await sleep(700);
      expect(socketsSince(s).length === 0, 'it connected again');
      return `disconnected ${reason}, SDK_DESTROYED, no reconnect`;
    });
    F.sdk.destroy();
  }

  // ---- identity: a token for another customer between reconnects ---------------------------------------------
  {
    const I = newInstance();
    await t('disconnected identity_mismatch (cookies lost between reconnects)', async () => {
      await waitEvent(I.evs, 'connected', () => true, 0, 5000);
      const m = I.evs.length;
      B.jar.cookies = []; // the browser lost its cookies: the accounts service makes a new customer
      await ctl('POST', '/agent/disconnect', { customer_id: self, reason: 'access_token_expired' });
      const d = await waitEvent(I.evs, 'disconnected', (x) => x.reason === 'identity_mismatch', m, 5000);
      const code = await errCode(I.sdk.getCustomer());
      expect(code === 'SDK_DESTROYED', `a call after it: ${code}`);
      return `${j(d)}, destroyed`;
    });
    I.sdk.destroy();
  }
  B.localStorage.clear(); // a new customer from here on
  B.jar.cookies = [];

  // ---- the quiet client ------------------------------------------------------------------------------------
  const q = await withTimeout(quietResult, QUIET_MS + 20000, 'quiet client').catch((e) => ({ error: e.message }));
  await t('keep-alive: a quiet client stays connected past the idle cut-off', async () => {
    expect(q.connected, `it never connected: ${q.error || ''}`);
    expect(q.done, `no report: ${q.error || ''}`);
    const r = q.done;
    const disc = r.events.filter((e) => e.type === 'disconnected');
    expect(disc.length === 0 && r.sockets === 1, `disconnected ${j(disc)}, ${r.sockets} sockets, closes ${j(r.closed)}, pings ${j(r.pings)}`);
    expect(r.customer === q.connected.id, `getCustomer after ${QUIET_MS / 1000} s: ${r.error}`);
    return `${QUIET_MS / 1000} s quiet, one socket, ${r.pings[0]} server pings answered`;
  });
  await quiet.terminate();

  // Global changes (the region, fail_next at login) come after the quiet client's report.
  // ---- region: the mock moved ---------------------------------------------------------------------------
  {
    await ctl('POST', '/region', { region: 'fra' });
    const R = newInstance();
    const REGION_CASE = 'mock in fra: the SDK follows misdirected_connection and connects';
    await t(REGION_CASE, async () => {
      const c = await waitEvent(R.evs, 'connected', () => true, 0, 6000).catch((e) => {
        const hosts = B.log.sockets.slice(-4).map((x) => new URL(x.url).hostname);
        throw new Check(`${e.message}; last sockets to ${hosts.join(', ')}; ${lastFrames(1)}`);
      });
      const host = new URL(B.log.sockets[B.log.sockets.length - 1].url).hostname;
      expect(host === 'api-fra.livechatinc.com', `connected at ${host}`);
      return `connected at ${host} as ${c.customer.id}`;
    }, { ms: 9000 });
    R.sdk.destroy();
    await ctl('POST', '/region', { region: 'dal' });
    // The server sends misdirected_connection as soon as the socket opens (the SDK says so at
    // dist/customer-sdk.cjs.js:1528), before the SDK's login: is it handled cleanly?
    await t('misdirected_connection before login: no unhandled rejection', async () => {
      const first = B.log.sockets.find((x) => x.received.some((f) => f.text.includes('misdirected_connection')) && x.sent.length === 0);
      expect(first, 'no connection got misdirected_connection before its login (not exercised)');
      const mine = uncaught.filter((u) => u.during === REGION_CASE);
      expect(mine.length === 0, `${mine.length} x ${mine[0] && mine[0].what}`);
      return 'none';
    });
    B.localStorage.clear();
    B.jar.cookies = [];
  }

  // ---- check_goals (autoConnect: false) ------------------------------------------------------------------
  {
    const before = (await ctl('GET', '/requests')).web.check_goals || 0;
    const G = newInstance({ autoConnect: false, page: PAGE, customerDataProvider: () => ({ name: 'Grace', sessionFields: { src: 'ads' } }) });
    await t('autoConnect false: check_goals, no connection; connect()', async () => {
      const posted = () => B.log.xhr.find((x) => x.method === 'POST' && x.url.includes('/action/check_goals') && x.status !== null);
      for (let i = 0; i < 50 && !posted(); i++) await sleep(40);
      const x = posted();
      expect(x && x.status === 200, `check_goals: ${j(x)}`);
      expect(((await ctl('GET', '/requests')).web.check_goals || 0) > before, 'the mock did not count it');
      const code = await errCode(G.sdk.getCustomer());
      expect(code === 'NO_CONNECTION', `before connect(): ${code}`);
      G.sdk.connect();
      const c = await waitEvent(G.evs, 'connected', () => true, 0, 5000);
      expect(c.customer.name === 'Grace' && c.customer.sessionFields.src === 'ads', `customerDataProvider not applied: ${j(c.customer)}`);
      return 'check_goals sent; connected with the provided customer data';
    });
    await t('browser: check_goals passes CORS', async () => {
      const v = B.log.violations.filter((x) => x.url.includes('/check_goals'));
      expect(v.length === 0, `a browser would refuse it: ${[...new Set(v.map((x) => x.problem))].join('; ')}`);
      return 'allowed';
    });
    // users_limit_reached at login: paused, no reconnect, connect() needed
    await t('login users_limit_reached: disconnected, paused, connect() resumes', async () => {
      const m = G.evs.length;
      const s = B.log.sockets.length;
      await ctl('POST', '/faults/fail_next', { type: 'users_limit_reached' });
      await ctl('POST', '/agent/disconnect', { customer_id: (await G.sdk.auth.getToken()).entityId, reason: 'internal_error' });
      const d = await waitEvent(G.evs, 'disconnected', (x) => x.reason === 'users_limit_reached', m, 5000);
      const opened = socketsSince(s).length;
      await sleep(1200);
      expect(socketsSince(s).length === opened, 'it connected again on its own');
      const m2b = G.evs.length;
      G.sdk.connect();
      await waitEvent(G.evs, 'connected', () => true, m2b, 5000);
      return `${j(d)}, then connected after connect()`;
    }, { ms: 10000 });
    G.sdk.destroy();
  }


  // ---- other identities: uniqueGroups, identityProvider ----------------------------------------
  {
    const U = newInstance({ uniqueGroups: true, groupId: 0 });
    await t('uniqueGroups: connects with the group\'s token', async () => {
      // The docs: with uniqueGroups "a separate customer identity for each group"; the token comes
      // from /v2/customer/<organization>/<group>/token (@livechat/customer-auth buildPath).
      const c = await waitEvent(U.evs, 'connected', () => true, 0, 5000).catch((e) => {
        const x = B.log.xhr.filter((r) => /\/v2\/customer\/[^/]+\/0\/token/.test(r.url)).pop();
        throw new Check(`${e.message}; token request ${j(x)}`);
      });
      expect(c.customer.id !== self, 'the same customer as without uniqueGroups');
      return `customer ${c.customer.id}`;
    });
    U.sdk.destroy();
    const issued = await ctl('POST', '/customers', {});
    let calls = 0;
    const P = newInstance({
      identityProvider: () => {
        const token = () => { calls += 1; return Promise.resolve({ accessToken: issued.token, entityId: issued.id, expiresIn: 3600000, tokenType: 'Bearer', creationDate: Date.now(), organizationId: org }); };
        return { getToken: token, getFreshToken: token, hasToken: () => Promise.resolve(true), invalidate: () => Promise.resolve() };
      },
    });
    await t('identityProvider: the given token is used', async () => {
      const c = await waitEvent(P.evs, 'connected', () => true, 0, 5000);
      expect(c.customer.id === issued.id && calls > 0, `connected as ${c.customer.id}, provider called ${calls} times`);
      return `connected as the control API's customer ${issued.id}`;
    });
    P.sdk.destroy();
  }

  // ---- global socket faults (after the quiet client, as they hit every connection) -------------------------
  {
    const K = newInstance();
    const kc = async () => (await waitEvent(K.evs, 'connected', () => true, 0, 5000)).customer.id;
    const survive = (name, fault, body, ms = 8000) => t(name, async () => {
      await kc();
      const m = K.evs.length;
      await ctl('POST', fault, body);
      const d = await waitEvent(K.evs, 'disconnected', () => true, m, 3000);
      expect(d.reason === 'connection_lost', j(d));
      await waitEvent(K.evs, 'connected', () => true, m, ms - 2000);
      const c = await K.sdk.getCustomer();
      return `disconnected connection_lost, connected again as ${c.id}`;
    }, { ms });
    await survive('dropped socket (drop_connections): reconnects', '/faults/drop_connections', {});
    await t('close_after_login: reconnects', async () => {
      await kc();
      const m = K.evs.length;
      await ctl('POST', '/faults/close_after_login', { count: 1 });
      await ctl('POST', '/faults/drop_connections', {});
      await waitEvent(K.evs, 'disconnected', () => true, m, 3000);
      // the next login is answered, then the socket closed: connected, disconnected, connected
      const m2c = K.evs.length;
      await waitEvent(K.evs, 'disconnected', () => true, m2c, 6000);
      await waitEvent(K.evs, 'connected', () => true, K.evs.findIndex((e, i) => i >= m2c && e.type === 'disconnected') + 1, 6000);
      return 'closed after login, connected again';
    }, { ms: 14000 });
    await t('refused connections: retries until accepted', async () => {
      await kc();
      const m = K.evs.length;
      const s = B.log.sockets.length;
      await ctl('POST', '/faults/refuse_connections', { duration_ms: 1500 });
      await ctl('POST', '/faults/drop_connections', {});
      await waitEvent(K.evs, 'disconnected', () => true, m, 3000);
      await waitEvent(K.evs, 'connected', () => true, m, 9000);
      return `${socketsSince(s).length} connection attempts`;
    }, { ms: 12000 });
    K.sdk.destroy();
  }

  // ---- the mock's own view ----------------------------------------------------------------------------------
  await t('frames: only subscribed pushes; request_id only on answers to that socket', async () => {
    // The login subscribes to a list of 3.5 pushes (customer_disconnected is always sent); the
    // agent's thinking indicator and event preview (3.6+ pushes) were caused on the way.
    const bad = [];
    const pushIds = new Set();
    for (const sock of B.log.sockets) {
      const sent = sock.sent.map((f) => JSON.parse(f.text));
      const login = sent.find((f) => f.action === 'login');
      const subscribed = new Set([...(login ? login.payload.pushes['3.5'] : []), 'customer_disconnected']);
      const ids = new Map(sent.map((f) => [f.request_id, f.action]));
      for (const f of sock.received.map((x) => JSON.parse(x.text))) {
        if (f.type === 'push' && !subscribed.has(f.action)) bad.push(`unsubscribed push ${f.action}`);
        if ('request_id' in f) {
          const asked = ids.get(f.request_id);
          const indirect = { start_chat: 'incoming_chat', resume_chat: 'incoming_chat', send_event: 'incoming_event' };
          // What the SDK relies on: an answer, or incoming_chat/incoming_event as the answer to
          // start_chat/resume_chat/send_event, comes with a request_id this socket sent (another
          // would crash it: socketListener, dist/customer-sdk.cjs.js:2688-2696, and
          // handlePushResponse, lines 2637-2641). Other pushes with the requester's request_id are ignored
          // by the SDK: counted for the report only.
          if (!asked) bad.push(`${f.action} (${f.type}) with a request_id this socket never sent`);
          else if (f.type === 'response' && f.action !== asked) bad.push(`response ${f.action} answers ${asked}`);
          else if (['incoming_chat', 'incoming_event'].includes(f.action) && indirect[asked] !== f.action) bad.push(`${f.action} answers ${asked}`);
          else if (f.type === 'push' && indirect[asked] !== f.action) pushIds.add(`${f.action} after ${asked}`);
        }
      }
    }
    expect(bad.length === 0, [...new Set(bad)].join('; '));
    return `${B.log.sockets.length} sockets checked; other pushes with the requester's request_id: ${[...pushIds].join(', ') || 'none'}`;
  });
  await t('mock problems: none', async () => {
    const p = await ctl('GET', '/problems');
    expect(p.problems.length === 0, j(p.problems).slice(0, 400));
    return 'none';
  });
  await t('no uncaught exceptions in the SDK (other cases)', async () => {
    const other = uncaught.filter((u) => !u.during.startsWith('mock in fra'));
    expect(other.length === 0, other.slice(0, 2).map((u) => `during "${u.during}": ${u.what}`).join(' || '));
    return 'none';
  });
  await t('browser: only LiveChat hosts were contacted', async () => {
    const other = B.log.refused.filter((u) => !u.startsWith('https://queue.livechatinc.com'));
    expect(other.length === 0, other.join(', '));
    return `${B.log.images.length} log pixels (queue.livechatinc.com) not loaded`;
  });
}

function report() {
  const w = Math.max(...rows.map((r) => r.name.length), 4);
  const xfail = (r) => r.result === 'FAIL' && EXPECTED[r.name] && EXPECTED[r.name][0].test(r.detail);
  const lines = rows.map((r) => {
    let res = r.result;
    if (xfail(r)) res = 'XFAIL';
    if (r.result === 'PASS' && EXPECTED[r.name]) res = EXPECTED[r.name][2] ? 'RACE' : 'XPASS';
    return `${r.name.padEnd(w)}  ${res.padEnd(5)}  ${r.detail}`;
  });
  console.log(`${'case'.padEnd(w)}  result  detail`);
  console.log(lines.join('\n'));
  const failed = rows.filter((r) => r.result === 'FAIL');
  const passed = rows.filter((r) => r.result === 'PASS');
  const unexpected = failed.filter((r) => !xfail(r));
  // An expected failure that depends on a race in the SDK may pass; it must still run and pass
  // or fail as documented (never another failure).
  const racePass = Object.keys(EXPECTED).filter((n) => EXPECTED[n][2] && rows.some((r) => r.name === n && r.result === 'PASS'));
  const nowPass = Object.keys(EXPECTED).filter((n) => !racePass.includes(n) && !rows.some((r) => r.name === n && xfail(r)));
  const notes = [...new Set(B ? B.log.notes : [])];
  if (notes.length) console.log(`\nbrowser notes: ${notes.join('; ')}`);
  if (unexpected.length) console.log(`\nUNEXPECTED failures: ${unexpected.map((r) => r.name).join('; ')}`);
  if (nowPass.length) console.log(`\nEXPECTED failures that did not fail as expected (update EXPECTED): ${nowPass.join('; ')}`);
  for (const n of racePass) console.log(`\nan SDK race went the SDK's way this run, so "${n}" passed (it fails ${EXPECTED[n][2].race})`);
  console.log('');
  for (const n of Object.keys(EXPECTED)) if (!nowPass.includes(n) && !racePass.includes(n)) console.log(`expected failure "${n}": ${EXPECTED[n][1]}`);
  console.log(`\n${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`${passed.length} passed, ${failed.length} failed`);
  return unexpected.length === 0 && nowPass.length === 0 ? 0 : 1;
}

const deadline = setTimeout(async () => {
  row('(suite)', 'FAIL', 'the suite did not finish in 110 s');
  const code = report();
  if (mock) await mock.stop();
  process.exit(code || 1);
}, 110000);

main()
  .catch((e) => row('(suite)', 'FAIL', e.stack || String(e)))
  .then(async () => {
    clearTimeout(deadline);
    const code = report();
    if (mock) await mock.stop();
    process.exit(code);
  });
