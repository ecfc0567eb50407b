#!/usr/bin/env python3
"""lc-sdk-python 0.4.2, unmodified, against `lc mock` over TLS, through the SDK's public API only.

Usage: interop.py <path-to-lc> <cert.pem> <key.pem>  (run.sh makes the venv and the certificate)

For each API version (3.5, 3.6, 3.7) and each customer client (CustomerWeb, CustomerRTM) one
scenario calls every public method of the client and checks the answer against the documented
behaviour (Customer Chat API reference: status, response fields, error types); an RTM client of
the same customer records the pushes each call causes (CustomerRTM's `ws.messages`, the list the
SDK keeps every received frame in), and the agent side, played through the mock's control API,
causes the pushes a customer only gets from an agent. Then the connection cases: a server
`customer_disconnected`, a dropped socket, a dropped response, a quiet client that only answers
the server's WebSocket pings. One row per call/push/case; the last line is `N passed, N failed`.
Exit 0 only when the failures are exactly EXPECTED (below)."""
import datetime
import io
import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

import httpx
from loguru import logger
from websocket import WebSocketConnectionClosedException

from livechat.customer.rtm.base import CustomerRTM
from livechat.customer.web.base import CustomerWeb
from livechat.utils.structures import AccessToken, TokenType

LC, CERT, KEY = sys.argv[1:4]
VERSIONS = ('3.5', '3.6', '3.7')
DEADLINE = time.monotonic() + 110  # the whole suite; run.sh's `timeout` is the outer bound
PING_TIMEOUT = 6  # s a logged-in RTM client may stay silent (`lc mock --ping-timeout`; the API's is 30 s, reference §5.2)
QUIET_FOR = 3 * PING_TIMEOUT  # how long the idle clients wait: three times the mock's deadline

# Failures that are the SDK's, not the mock's (SDK = site-packages/livechat/...).
_UPLOAD = ('SDK bug: upload_file(file: typing.BinaryIO) documents a file-like object but passes it as '
           'httpx `files=` (customer/web/api/v3{v}.py:{line}), which wants a mapping of part name to file, '
           'so httpx raises before sending anything; the mapping form works (next row)')
_PAGE = ('SDK-only action: {a} (customer/rtm/api/v3{v}.py:{line}) is in no Customer Chat API reference '
         'version (reference §2.1: "(SDK-only, Python 3.6/3.7)"); the server, and so the mock, do not know it')
EXPECTED = {
    '3.5 web upload_file(file object)': _UPLOAD.format(v=5, line='315-333'),
    '3.6 web upload_file(file object)': _UPLOAD.format(v=6, line='344-362'),
    '3.7 web upload_file(file object)': _UPLOAD.format(v=7, line='344-362'),
    '3.6 rtm activate_customer_page': _PAGE.format(a='activate_customer_page', v=6, line='492-507'),
    '3.6 rtm deactivate_customer_page': _PAGE.format(a='deactivate_customer_page', v=6, line='509-524'),
    '3.7 rtm activate_customer_page': _PAGE.format(a='activate_customer_page', v=7, line='492-507'),
    '3.7 rtm deactivate_customer_page': _PAGE.format(a='deactivate_customer_page', v=7, line='509-524'),
    'web get_client(http2=True) get_customer': (
        'SDK packaging bug: http2=True is passed to httpx.Client (utils/http_client.py:24), which needs the `h2` '
        'package (httpx[http2]); the SDK neither requires it nor offers it: its extra `httpx` requires a package '
        '`http2` (lc_sdk_python-0.4.2.dist-info/METADATA:22-23) that PyPI does not have'),
    'web get_client(access_token=AccessToken)': (
        'SDK bug: CustomerWeb.get_client documents access_token as Optional[Union[AccessToken, str]] '
        '(customer/web/base.py:26) but every client raises ValueError unless it is a str '
        '(customer/web/api/v36.py:24-30, the same in v35/v37)'),
}

# What each expected failure's detail must show: failing another way (a timeout, a crash,
# another error type) is an unexpected failure.
DETAIL = {
    **{f'3.{v} web upload_file(file object)': r'^ValueError: too many values to unpack' for v in (5, 6, 7)},
    **{f'3.{v} rtm {a}_customer_page': r'"type":"not_found"' for v in (6, 7) for a in ('activate', 'deactivate')},
    'web get_client(http2=True) get_customer': r"^ImportError: Using http2=True, but the 'h2' package is not installed",
    'web get_client(access_token=AccessToken)': r'^ValueError: Incorrect or missing `access_token` argument',
}
assert DETAIL.keys() == EXPECTED.keys()

ROWS = []
M = None  # the Mock


def row(name, ok, detail=''):
    ROWS.append((name, bool(ok), ' '.join(str(detail).split())[:170]))
    return ok


def short(value):
    return json.dumps(value, separators=(',', ':'))[:150] if not isinstance(value, str) else value[:150]


def safe(check, value):
    """A check that raises (a missing field, a wrong type) is a failed check."""
    try:
        return bool(check(value))
    except (KeyError, IndexError, TypeError, AttributeError):
        return False


def now_rfc3339():
    return datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def wait_until(predicate, timeout):
    end = min(time.monotonic() + timeout, DEADLINE)
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


class Mock:
    """`lc mock --json` over TLS and its control API (`control_url`, /_lc)."""

    def __init__(self):
        self.proc = subprocess.Popen([LC, 'mock', '--json', '--tls-cert', CERT, '--tls-key', KEY,
                                      '--ping-timeout', str(PING_TIMEOUT)],
                                     stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        lines = queue.Queue()
        threading.Thread(target=lambda: lines.put(self.proc.stdout.readline()), daemon=True).start()
        try:
            self.info = json.loads(lines.get(timeout=20))
        except (queue.Empty, ValueError) as e:
            self.stop()
            raise RuntimeError(f'no JSON line ({e!r}); does `{LC} mock --help` list --tls-cert and --ping-timeout?') from None
        self.host = urlsplit(self.info['base_url']).netloc  # what the SDK's base_url takes
        self.org = self.info['organization_id']
        self.ctl = httpx.Client(base_url=self.info['control_url'] + '/', verify=CERT, timeout=10)
        self.agent = self.get('agent')['id']

    def get(self, path, **params):
        return self._answer(self.ctl.get(path, params=params))

    def post(self, path, body=None):
        return self._answer(self.ctl.post(path, json=body or {}))

    @staticmethod
    def _answer(r):
        if r.status_code != 200:
            raise RuntimeError(f'control {r.request.method} {r.url.path}: {r.status_code} {r.text[:200]}')
        return r.json()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class Res:
    """One call's outcome, whichever transport: ok, status, payload, error type, request_id."""

    def __init__(self, ok, status, payload, err=None, rid=None):
        self.ok, self.status, self.payload, self.err, self.rid = ok, status, payload, err, rid

    def __str__(self):
        return f'{self.status} {short(self.payload)}'


class Web:
    kind = 'web'

    def __init__(self, v, token):
        self.client = CustomerWeb.get_client(version=v, base_url=M.host, organization_id=M.org,
                                             access_token=f'Bearer {token}', verify=CERT,
                                             disable_logging=True)

    def call(self, method, **kw):
        r = getattr(self.client, method)(**kw)
        try:
            body = r.json()
        except ValueError:
            body = r.text
        err = body.get('error', {}).get('type') if isinstance(body, dict) else None
        # Success is HTTP 200 with a JSON object; an error is the envelope (reference §5.1).
        return Res(r.status_code == 200 and isinstance(body, dict) and err is None, r.status_code, body, err)


class Rtm:
    kind = 'rtm'

    def __init__(self, v, **open_kw):
        self.v = v
        self.client = CustomerRTM.get_client(version=v, base_url=M.host, organization_id=M.org)
        self.ws = self.client.ws  # the SDK's WebsocketClient; .messages holds every frame, newest first
        self.pings = []  # WebSocket pings from the server (websocket-client's on_ping; it answers them itself)
        self.ws.on_ping = lambda _ws, _data: self.pings.append(time.monotonic())
        self.client.open_connection(**open_kw)

    def call(self, method, **kw):
        r = getattr(self.client, method)(**kw)
        if r is None:  # the SDK's answer when no response came within response_timeout
            return Res(False, 'no response', None, 'timeout')
        p = r.payload
        err = p.get('error', {}).get('type') if isinstance(p, dict) and not r.success else None
        # A response frame: type response, the request's action, success, payload (reference §5.2).
        ok = r.success is True and r.type == 'response' and r.action == method and isinstance(p, dict)
        return Res(ok, f'success={r.success}', p, err, r.request_id)

    def connected(self):
        return bool(self.ws.sock and self.ws.sock.connected)

    def closed(self):
        """Torn down: the SDK's open() starts a new socket only once `ws.sock` is None (until then
        run_forever refuses with "socket is already opened", websocket/_app.py:343)."""
        return self.ws.sock is None

    def mark(self):
        return len(self.ws.messages)

    def frames(self, mark):
        """Frames received since `mark`, oldest first."""
        got = list(self.ws.messages)
        return list(reversed(got[:len(got) - mark]))

    def wait_push(self, mark, action, pred=None, timeout=3):
        found = []

        def seen():
            found[:] = [f for f in self.frames(mark) if f.get('type') == 'push' and f.get('action') == action
                        and (pred is None or safe(pred, f.get('payload')))]
            return bool(found)
        wait_until(seen, timeout)
        return found[0] if found else None


def login(c, cust, name):
    res = c.call('login', token=f'Bearer {cust["token"]}')
    return row(name, res.ok and safe(lambda p: p['customer']['id'] == cust['id']
                                     and isinstance(p['has_active_thread'], bool)
                                     and isinstance(p['chats'], list), res.payload), res), res


def scenario(v, kind):
    """Every public method of one client in one version, with the pushes they cause."""
    P = f'{v} {kind}'
    cust = M.post('customers')
    cid = cust['id']
    called = set()
    try:
        obs = Rtm(v)  # the customer's RTM connection: the client under test for `rtm`, the push observer for `web`
    except Exception as e:  # noqa: BLE001 (any failure to connect is a row)
        return row(f'{P} open_connection', False, f'{type(e).__name__}: {e}')
    row(f'{P} open_connection', obs.connected(), 'connected' if obs.connected() else 'not connected')
    api = obs if kind == 'rtm' else Web(v, cust['token'])
    if kind == 'rtm':
        called.update(('open_connection', 'login'))
    ok, res = login(obs, cust, f'{P} login')
    if not ok:
        obs.client.close_connection()
        return False
    if kind == 'rtm':
        row(f'{P} login: no chat yet', res.payload.get('has_active_thread') is False and res.payload.get('chats') == [],
            short(res.payload.get('chats')))

    def step(label, method, check=None, error=None, push=None, rid=False, **kw):
        """Call `method`, check the answer (or the error type `error`), then the push it causes:
        `push` = (action, predicate on its payload); with rid=True it answers the request and
        carries the request's request_id on the requester's connection only (reference §3)."""
        name = f'{P} {label or method}'
        called.add(method)
        m = obs.mark()
        try:
            res = api.call(method, **kw)
        except Exception as e:  # noqa: BLE001 (an SDK exception is this row's failure)
            return row(name, False, f'{type(e).__name__}: {e}') and None
        if error:
            ok = not res.ok and res.err == error and (kind == 'rtm' or 400 <= res.status < 600)
        else:
            ok = res.ok and (check is None or safe(check, res.payload))
        row(name, ok, res)
        if push and res.ok:
            action, pred = push
            f = obs.wait_push(m, action, pred)
            if rid and kind == 'rtm':
                rid_ok = f is not None and f.get('request_id') == res.rid
            else:  # a Web request has no request_id; other pushes carry none
                rid_ok = f is not None and 'request_id' not in f
            row(f'{name} -> push {action}', f is not None and rid_ok and f.get('version') == v,
                short(f) if f else f'no {action} push in 3 s')
        return res if ok else None

    def agent(label, path, body, action, pred=None):
        """The agent side acts (control API); the customer gets `action` without a request_id."""
        name = f'{P} agent {label} -> push {action}'
        m = obs.mark()
        try:
            answer = M.post(path, body)
        except RuntimeError as e:
            return row(name, False, e) and None
        f = obs.wait_push(m, action, pred)
        row(name, f is not None and 'request_id' not in f and f.get('version') == v,
            short(f) if f else f'no {action} push in 3 s')
        return answer if f else None

    has = lambda m: hasattr(api.client, m)  # noqa: E731 (the version's method set)
    chats_key = 'chats_info' if v == '3.7' else 'chats_summary'  # 3.7 renamed it (reference §1.2)

    # -- the customer (reference §2.2 get_customer, update_customer, set_customer_session_fields)
    step('get_customer', 'get_customer', lambda p: p['id'] == cid and p['type'] == 'customer')
    step('update_customer', 'update_customer', lambda p: p == {}, name='Ada Lovelace', email='ada@example.com',
         push=('customer_updated', lambda p: p['name'] == 'Ada Lovelace'), rid=True)
    if v != '3.5':  # 3.6 added phone_number to the customer; name_is_default is an SDK parameter
        step('update_customer(phone_number)', 'update_customer', lambda p: p == {}, phone_number='+48123456789',
             push=('customer_updated', lambda p: p['phone_number'] == '+48123456789'), rid=True)
        step('update_customer(name_is_default)', 'update_customer', lambda p: p == {}, name_is_default=False)
    fields = [{'plan': 'pro'}, {'seat': '7'}]
    step('set_customer_session_fields', 'set_customer_session_fields', lambda p: p == {}, session_fields=fields)
    step('get_customer (after updates)', 'get_customer',
         lambda p: p['name'] == 'Ada Lovelace' and p['email'] == 'ada@example.com' and p['session_fields'] == fields)
    if kind == 'rtm':  # update_customer_page: empty until 3.5, `groups?` since 3.6
        step('update_customer_page', 'update_customer_page',
             lambda p: p == {} if v == '3.5' else set(p) <= {'groups'},
             url='https://shop.example.com/cart', title='Cart')
        if has('activate_customer_page'):
            step('activate_customer_page', 'activate_customer_page', lambda p: p == {})
            step('deactivate_customer_page', 'deactivate_customer_page', lambda p: p == {})

    # -- statuses, forms, agents, URLs
    step('list_group_statuses(all)', 'list_group_statuses',
         lambda p: p['groups_status']['0'] in ('online', 'offline', 'online_for_queue'), all=True)
    step('list_group_statuses(group_ids)', 'list_group_statuses', lambda p: list(p['groups_status']) == ['0'],
         group_ids=[0])
    step('get_form(prechat)', 'get_form', lambda p: p['enabled'] is True and p['form']['fields'][0]['id'] == 'q1',
         group_id=0, type='prechat')
    step('get_form(postchat, disabled)', 'get_form', lambda p: p['enabled'] is False and 'form' not in p,
         group_id=0, type='postchat')
    if has('get_predicted_agent'):  # removed in 3.7
        step('get_predicted_agent', 'get_predicted_agent',
             lambda p: p['agent']['id'] == M.agent and p['agent']['type'] == 'agent' and isinstance(p['queue'], bool))
    if has('request_welcome_message'):  # 3.6+: the message itself comes as incoming_welcome_message
        step('request_welcome_message', 'request_welcome_message',
             lambda p: isinstance(p['id'], str) and p['predicted_agent']['id'] == M.agent and isinstance(p['queue'], bool),
             push=('incoming_welcome_message', lambda p: p['event']['type'] == 'message'), rid=True)
    step('get_url_info', 'get_url_info', lambda p: p['url'] == 'https://example.com/article',
         url='https://example.com/article')

    if kind == 'web':  # Web-only actions (reference §2.1)
        dyn = step('get_dynamic_configuration', 'get_dynamic_configuration',
                   (lambda p: isinstance(p['config_version'], str) and p['group_id'] == 0) if v == '3.5' else
                   (lambda p: p['organization_id'] == M.org and p['livechat']['group_id'] == 0
                    and isinstance(p['livechat']['config_version'], str)), group_id=0)
        step('get_dynamic_configuration(url, channel_type, test)', 'get_dynamic_configuration',
             lambda p: isinstance(p, dict), url='https://shop.example.com/', channel_type='code', test=True)
        conf = (dyn.payload if v == '3.5' else dyn.payload['livechat']) if dyn else {}
        step('get_configuration', 'get_configuration', lambda p: isinstance(p['buttons'], list),
             group_id=0, version=conf.get('config_version', '?'))
        step('get_localization', 'get_localization',
             lambda p: p and all(isinstance(t, str) for t in p.values()),
             group_id=0, language=conf.get('language', 'en'), version=conf.get('localization_version', '?'))
        step('list_license_properties', 'list_license_properties', lambda p: p['interop']['plan'] == 'gold')
        step('list_license_properties(namespace, name)', 'list_license_properties',
             lambda p: p == {'interop': {'plan': 'gold'}}, namespace='interop', name='plan')
        step('list_group_properties', 'list_group_properties', lambda p: p['interop']['tier'] == 2, group_id=0)
        step('list_group_properties(namespace)', 'list_group_properties', lambda p: p == {'interop': {'tier': 2}},
             group_id=0, namespace='interop', name='tier')
        step('check_goals', 'check_goals', lambda p: p == {}, session_fields=[{'goal': 'cart'}], group_id=0,
             page_url='https://shop.example.com/thanks')
        cb = f'https://example.com/verified/{v}'
        if step('request_email_verification', 'request_email_verification', lambda p: p == {}, callback_uri=cb):
            uris = M.post('agent/verify_email', {'customer_id': cid}).get('callback_uris', [])
            row(f'{P} request_email_verification: callback kept', cb in uris, short(uris))

    # -- a chat (reference §2.2 start_chat ... deactivate_chat)
    res = step('start_chat', 'start_chat',
               lambda p: isinstance(p['chat_id'], str) and isinstance(p['thread_id'], str) and len(p['event_ids']) == 1,
               chat={'thread': {'events': [{'type': 'message', 'text': 'Hello from the SDK'}]}},
               push=('incoming_chat', lambda p: p['chat']['thread']['events'][0]['text'] == 'Hello from the SDK'), rid=True)
    if not res:
        return obs.client.close_connection()
    chat, thread = res.payload['chat_id'], res.payload['thread_id']
    row(f'{P} start_chat: the agent side sees it', M.get('agent/active_chat', customer_id=cid) ==
        {'chat_id': chat, 'thread_id': thread}, short(M.get('agent/active_chat', customer_id=cid)))
    # One chat per customer: a second start_chat is refused (customer-sdk's CHAT_LIMIT_REACHED, reference §2.2).
    step('start_chat (a second chat)', 'start_chat', error='chat_limit_reached')
    step('get_chat', 'get_chat', lambda p: p['id'] == chat and p['thread']['id'] == thread
         and any(u['id'] == cid for u in p['users']), chat_id=chat)
    step('get_chat(thread_id)', 'get_chat', lambda p: p['thread']['events'][0]['text'] == 'Hello from the SDK',
         chat_id=chat, thread_id=thread)
    step('list_chats', 'list_chats', lambda p: [c['id'] for c in p[chats_key]] == [chat] and p['total_chats'] == 1)
    step('list_chats(limit, sort_order)', 'list_chats', lambda p: len(p[chats_key]) == 1, limit=1, sort_order='asc')
    step('list_threads', 'list_threads', lambda p: [t['id'] for t in p['threads']] == [thread] and p['found_threads'] == 1,
         chat_id=chat)
    step('list_threads(min_events_count)', 'list_threads', lambda p: p['threads'][0]['id'] == thread,
         chat_id=chat, min_events_count=1)
    res = step('send_event', 'send_event', lambda p: isinstance(p['event_id'], str), chat_id=chat,
               event={'type': 'message', 'text': 'Where is my order?'},
               push=('incoming_event', lambda p: p['event']['text'] == 'Where is my order?' and p['chat_id'] == chat), rid=True)
    event = res.payload['event_id'] if res else 'missing'
    if step('send_sneak_peek', 'send_sneak_peek', lambda p: p == {}, chat_id=chat, sneak_peek_text='Where is my'):
        peek = M.get('agent/sneak_peek', chat_id=chat)
        row(f'{P} send_sneak_peek: the agent side sees it', peek.get('sneak_peek') == 'Where is my', short(peek))
    props = {'interop': {'score': 5}}
    names = {'interop': ['score']}
    step('update_chat_properties', 'update_chat_properties', lambda p: p == {}, id=chat, properties=props,
         push=('chat_properties_updated', lambda p: p['properties'] == props and p['chat_id'] == chat), rid=True)
    step('get_chat (properties)', 'get_chat', lambda p: p['properties']['interop']['score'] == 5, chat_id=chat)
    step('delete_chat_properties', 'delete_chat_properties', lambda p: p == {}, id=chat, properties=names,
         push=('chat_properties_deleted', lambda p: p['properties'] == names), rid=True)
    step('update_thread_properties', 'update_thread_properties', lambda p: p == {}, chat_id=chat, thread_id=thread,
         properties=props, push=('thread_properties_updated', lambda p: p['thread_id'] == thread), rid=True)
    step('delete_thread_properties', 'delete_thread_properties', lambda p: p == {}, chat_id=chat, thread_id=thread,
         properties=names, push=('thread_properties_deleted', lambda p: p['thread_id'] == thread), rid=True)
    step('update_event_properties', 'update_event_properties', lambda p: p == {}, chat_id=chat, thread_id=thread,
         event_id=event, properties=props, push=('event_properties_updated', lambda p: p['event_id'] == event), rid=True)
    step('delete_event_properties', 'delete_event_properties', lambda p: p == {}, chat_id=chat, thread_id=thread,
         event_id=event, properties=names, push=('event_properties_deleted', lambda p: p['event_id'] == event), rid=True)
    seen = now_rfc3339()
    step('mark_events_as_seen', 'mark_events_as_seen', lambda p: p == {}, chat_id=chat, seen_up_to=seen,
         push=('events_marked_as_seen', lambda p: p['user_id'] == cid and p['chat_id'] == chat), rid=True)

    # -- the agent side (control API) and the pushes it causes (reference §3.1)
    agent('join', 'agent/join', {'chat_id': chat}, 'user_added_to_chat', lambda p: p['user']['id'] == M.agent)
    msg = agent('send_message', 'agent/send_message', {'chat_id': chat, 'text': 'On its way'}, 'incoming_event',
                lambda p: p['event']['author_id'] == M.agent and p['event']['text'] == 'On its way')
    if msg:
        agent('edit_message', 'agent/edit_message', {'chat_id': chat, 'event_id': msg['event_id'], 'text': 'Shipped'},
              'event_updated', lambda p: p['event']['id'] == msg['event_id'] and p['event']['text'] == 'Shipped')
    agent('typing', 'agent/typing', {'chat_id': chat, 'is_typing': True}, 'incoming_typing_indicator',
          lambda p: p['typing_indicator']['is_typing'] is True)
    if v != '3.5':  # both pushes are new in 3.6
        agent('thinking', 'agent/thinking', {'chat_id': chat}, 'incoming_thinking_indicator',
              lambda p: p['author_id'] == M.agent)
        agent('event_preview', 'agent/event_preview', {'chat_id': chat, 'text': 'Typing...'}, 'incoming_event_preview',
              lambda p: p['event']['text'] == 'Typing...')
    agent('multicast', 'agent/multicast', {'customer_ids': [cid], 'content': {'sale': v}}, 'incoming_multicast',
          lambda p: p['content'] == {'sale': v})
    agent('update_side_storage', 'agent/update_side_storage', {'customer_id': cid, 'storage': {'k': 'v'}},
          'customer_side_storage_updated', lambda p: p['customer_side_storage'] == {'k': 'v'})
    agent('update_properties', 'agent/update_properties', {'chat_id': chat, 'properties': {'interop': {'by': 'agent'}}},
          'chat_properties_updated', lambda p: p['properties'] == {'interop': {'by': 'agent'}})
    rich = agent('send_rich_message', 'agent/send_rich_message', {'chat_id': chat, 'template_id': 'quick_replies', 'elements': [
        {'title': 'Happy?', 'buttons': [{'text': 'Yes', 'type': 'message', 'value': 'yes', 'postback_id': 'yes', 'user_ids': []}]}]},
        'incoming_event', lambda p: p['event']['type'] == 'rich_message')
    step('send_rich_message_postback', 'send_rich_message_postback', lambda p: p == {}, chat_id=chat, thread_id=thread,
         event_id=rich['event_id'] if rich else 'missing', postback={'id': 'yes', 'toggled': True},
         push=('incoming_rich_message_postback', lambda p: p['postback']['id'] == 'yes' and p['user_id'] == cid), rid=True)
    agent('transfer (queued)', 'agent/transfer', {'chat_id': chat, 'group_ids': [0], 'queue': {'position': 2, 'wait_time': 30}},
          'chat_transferred', lambda p: p['chat_id'] == chat and p['queue']['position'] == 2)
    agent('update_queue', 'agent/update_queue', {'chat_id': chat, 'position': 1, 'wait_time': 10},
          'queue_position_updated', lambda p: p['queue'] == {'position': 1, 'wait_time': 10})
    agent('set_group_status', 'agent/set_group_status', {'group_id': 0, 'status': 'online_for_queue'},
          'groups_status_updated', lambda p: {'id': 0, 'status': 'online_for_queue'} in p['groups'])
    M.post('agent/set_group_status', {'group_id': 0, 'status': 'online'})

    # -- greetings (reference §2.2 accept_greeting, cancel_greeting)
    for how in ('accept_greeting', 'cancel_greeting'):
        g = agent(f'greet ({how})', 'agent/greet', {'customer_id': cid, 'text': 'Need help?'}, 'incoming_greeting',
                  lambda p: p['event']['text'] == 'Need help?')
        if not g:
            continue
        pushed = [f for f in obs.frames(0) if f.get('action') == 'incoming_greeting' and f['payload']['unique_id'] == g['unique_id']]
        kw = {'unique_id': g['unique_id']}
        if how == 'accept_greeting':
            kw['greeting_id'] = pushed[0]['payload']['id'] if pushed else -1
        if step(how, how, lambda p: p == {}, **kw, push=('greeting_accepted' if how == 'accept_greeting' else 'greeting_canceled',
                                                        lambda p: p['unique_id'] == g['unique_id']), rid=True):
            st = M.get('agent/greeting_status', unique_id=g['unique_id']).get('status')
            row(f'{P} {how}: the agent side sees it', st == ('accepted' if how == 'accept_greeting' else 'canceled'), st)
    step('cancel_greeting (unknown)', 'cancel_greeting', error='greeting_not_found', unique_id='no-such-greeting')

    # -- files (Web only): a file-like object as documented, then httpx's mapping form
    if kind == 'web':
        step('upload_file(file object)', 'upload_file', lambda p: p['url'].startswith('http'),
             file=io.BytesIO(b'order 42\n'))
        up = step('upload_file', 'upload_file', lambda p: p['url'].startswith('http'),
                  file={'file': ('order.txt', b'order 42\n', 'text/plain')})
        if up:  # the temporary URL serves the bytes (over the mock's own scheme: https here)
            got = guard(f'{P} upload_file: the URL serves the file', httpx.get, up.payload['url'], verify=CERT, timeout=10)
            if got is not None:
                row(f'{P} upload_file: the URL serves the file', got.status_code == 200 and got.content == b'order 42\n',
                    f'{up.payload["url"]} -> {got.status_code} {got.content[:40]!r}')
            step('send_event(file)', 'send_event', lambda p: isinstance(p['event_id'], str), chat_id=chat,
                 event={'type': 'file', 'url': up.payload['url']},
                 push=('incoming_event', lambda p: p['event']['type'] == 'file' and p['event']['name'] == 'order.txt'))

    if has('delete_event'):  # 3.6+: deleted events disappear from customer responses
        step('delete_event', 'delete_event', lambda p: p == {}, chat_id=chat, thread_id=thread, event_id=event,
             push=('event_deleted', lambda p: p['event_id'] == event), rid=True)
        step('get_chat (event deleted)', 'get_chat',
             lambda p: event not in [e['id'] for e in p['thread']['events']], chat_id=chat)
    agent('leave', 'agent/leave', {'chat_id': chat}, 'user_removed_from_chat', lambda p: p['user_id'] == M.agent)
    step('deactivate_chat', 'deactivate_chat', lambda p: p == {}, id=chat,
         push=('chat_deactivated', lambda p: p['chat_id'] == chat and p['user_id'] == cid), rid=True)
    row(f'{P} deactivate_chat: the agent side sees it', M.get('agent/active_chat', customer_id=cid)['chat_id'] is None,
        short(M.get('agent/active_chat', customer_id=cid)))
    step('start_chat (an inactive chat exists)', 'start_chat', error='chat_limit_reached')  # resume it instead
    step('send_event (inactive chat)', 'send_event', error='chat_inactive', chat_id=chat,
         event={'type': 'message', 'text': 'late'})
    step('send_event(attach_to_last_thread)', 'send_event', lambda p: isinstance(p['event_id'], str), chat_id=chat,
         event={'type': 'message', 'text': 'late'}, attach_to_last_thread=True)
    res = step('resume_chat', 'resume_chat',
               lambda p: isinstance(p['thread_id'], str) and p['thread_id'] != thread and len(p['event_ids']) == 1,
               chat={'id': chat, 'thread': {'events': [{'type': 'message', 'text': 'Back again'}]}},
               push=('incoming_chat', lambda p: p['chat']['id'] == chat), rid=True)
    if res:  # two threads now: min_events_count=1 returns the newest and a page for the rest
        new = res.payload['thread_id']
        page = step('list_threads(min_events_count, two threads)', 'list_threads',
                    lambda p: [t['id'] for t in p['threads']] == [new] and p['found_threads'] == 2
                    and isinstance(p['next_page_id'], str), chat_id=chat, min_events_count=1)
        step('list_threads(page_id)', 'list_threads', lambda p: [t['id'] for t in p['threads']] == [thread],
             chat_id=chat, page_id=page.payload['next_page_id'] if page else 'missing')
        step('list_threads(sort_order, limit)', 'list_threads', lambda p: [t['id'] for t in p['threads']] == [thread, new],
             chat_id=chat, sort_order='asc', limit=2)
    # The reference names no error type; the official customer-sdk documents CHAT_ALREADY_ACTIVE (its codes are the server's type upper-cased).
    step('resume_chat (already active)', 'resume_chat', error='chat_already_active', chat={'id': chat})
    if res:
        agent('deactivate_chat', 'agent/deactivate_chat', {'chat_id': chat}, 'chat_deactivated',
              lambda p: p['chat_id'] == chat and p['thread_id'] == res.payload['thread_id'])
    step('get_chat (unknown chat)', 'get_chat', error='not_found', chat_id='NOSUCHCHAT')

    # -- errors the mock injects (reference §5.6): the SDK hands them back as they are
    M.post('faults/fail_next', {'type': 'service_unavailable'})
    step('get_customer (service_unavailable)', 'get_customer', error='service_unavailable')
    if kind == 'web':
        try:
            bad = Web(v, 'dal:not-a-token').call('get_customer')
            row(f'{P} get_customer (bad token)', bad.status == 401 and bad.err == 'authentication', bad)
        except Exception as e:  # noqa: BLE001
            row(f'{P} get_customer (bad token)', False, f'{type(e).__name__}: {e}')
    else:
        rtm_connection_cases(v, obs, cust)

    # Every public method of the client was called above.
    skip = {'modify_header', 'remove_header', 'get_headers'}  # HttpClient's session helpers, no API action
    public = {m for m in dir(api.client) if not m.startswith('_') and callable(getattr(api.client, m))} - skip
    if kind == 'rtm':
        called.add('close_connection')
    row(f'{P} every public method called', public <= called, f'{len(public)} methods; not called: {sorted(public - called)}')
    if kind == 'rtm':
        mark = len(M.get('closes')['closes'])
        obs.client.close_connection()
        closes = []
        wait_until(lambda: closes.extend(M.get('closes')['closes'][mark:]) or closes, 3)
        row(f'{P} close_connection', not obs.connected() and closes[:1] == [1000], f'close codes the mock got: {closes}')
    else:
        obs.client.close_connection()
    return cust


def after_close(P, c, cust, name):
    """The socket is gone: a call raises, and open_connection + login resume the session (the SDK
    does not reconnect by itself: run_forever runs without `reconnect`, utils/ws_client.py:73-88)."""
    row(f'{P} {name}: socket closed', wait_until(c.closed, 3), f'connected={c.connected()}')
    try:
        c.client.get_customer()
        row(f'{P} {name}: a call raises', False, 'no exception')
    except WebSocketConnectionClosedException as e:  # utils/ws_client.py:107-109
        row(f'{P} {name}: a call raises', True, f'WebSocketConnectionClosedException: {e}')
    try:
        c.client.open_connection()
    except Exception as e:  # noqa: BLE001
        return row(f'{P} {name}: open_connection again', False, f'{type(e).__name__}: {e}')
    ok, res = login(c, cust, f'{P} {name}: open_connection + login again')
    if ok:  # the chat the customer had is there again
        chat = M.get('agent/chats_of', customer_id=cust['id'])['chat_ids'][0]
        row(f'{P} {name}: login lists the chat', [x['chat_id'] for x in res.payload['chats']] == [chat], res)


def rtm_connection_cases(v, c, cust):
    """A server `customer_disconnected` (reference §3.3) and, once, a dropped response."""
    P = f'{v} rtm'
    m = c.mark()
    M.post('agent/disconnect', {'customer_id': cust['id'], 'reason': 'connection_evicted'})
    f = c.wait_push(m, 'customer_disconnected', lambda p: p['reason'] == 'connection_evicted')
    row(f'{P} agent disconnect -> push customer_disconnected', f is not None and f.get('version') == v,
        short(f) if f else 'none in 3 s')
    after_close(P, c, cust, 'server customer_disconnected')
    if v == '3.6':  # a dropped response: the SDK answers None after response_timeout (utils/ws_client.py:127-134)
        M.post('faults/drop_responses', {'count': 1})
        t = time.monotonic()
        r = c.client.get_customer()
        row(f'{P} dropped response -> None after response_timeout', r is None and time.monotonic() - t >= 2.9,
            f'{r!r} after {time.monotonic() - t:.1f} s')
        res = c.call('get_customer')
        row(f'{P} dropped response: the next call is answered', res.ok, res)


def dropped_sockets(customers):
    """The mock drops every socket at once (faults/drop_connections): one client per version."""
    clients = []
    for v, cust in customers:
        c = Rtm(v)
        if login(c, cust, f'{v} rtm login (before dropped socket)')[0]:
            clients.append((v, c, cust))
    M.post('faults/drop_connections')
    for v, c, cust in clients:
        after_close(f'{v} rtm', c, cust, 'dropped socket')
        c.client.close_connection()


class Idle:
    """An RTM client that only waits. With ping_interval=0 it sends nothing, not even WebSocket
    pings, but answers the server's pings, as a browser does; with the SDK's defaults it pings
    every 5 s and closes the socket if no pong comes within 3 s (utils/ws_client.py:49-88).
    Either way it must stay connected past the mock's --ping-timeout without a frame, since the
    mock pings every half of it (reference §5.2: 30 s on the real server)."""

    def __init__(self, name, token_form, open_kw):
        self.name, self.cust = name, M.post('customers')
        self.c = Rtm('3.6', **open_kw)
        res = self.c.call('login', token=token_form(self.cust['token']))
        row(f'{name} login', res.ok and res.payload['customer']['id'] == self.cust['id'], res)
        self.since = time.monotonic() if res.ok else None

    def check(self):
        if self.since is None:
            return
        wait_until(lambda: time.monotonic() - self.since > QUIET_FOR, QUIET_FOR)
        gone = [f for f in self.c.frames(0) if f.get('action') == 'customer_disconnected']
        pings = len(self.c.pings)  # the mock pings every half --ping-timeout: about 6 in 18 s
        row(f'{self.name}: connected after {QUIET_FOR} s', self.c.connected() and not gone and pings >= 3,
            short(gone[0]) if gone else
            f'connected={self.c.connected()} after {time.monotonic() - self.since:.0f} s, {pings} pings from the mock')
        self.c.client.close_connection()


def guard(name, fn, *args, **kw):
    """A case that breaks off (the control API refused, the SDK raised) is one failed row."""
    try:
        return fn(*args, **kw)
    except Exception as e:  # noqa: BLE001
        row(name, False, f'{type(e).__name__}: {e}')
        return None


def client_options():
    """get_client options besides the ones every scenario uses."""
    try:  # access_token (Optional[Union[AccessToken, str]], customer/web/base.py:26)
        CustomerWeb.get_client(version='3.6', base_url=M.host, organization_id=M.org, verify=CERT,
                               access_token=AccessToken(M.info['token'], TokenType.BEARER))
        row('web get_client(access_token=AccessToken)', True)
    except ValueError as e:
        row('web get_client(access_token=AccessToken)', False, f'ValueError: {e}')
    try:  # http2 (bool): "if HTTP/2 support should be enabled" (customer/web/base.py:43)
        res = CustomerWeb.get_client(version='3.6', base_url=M.host, organization_id=M.org, verify=CERT, http2=True,
                                     access_token=f'Bearer {M.info["token"]}', disable_logging=True).get_customer()
        row('web get_client(http2=True) get_customer', res.status_code == 200, f'{res.http_version} {res.status_code}')
    except ImportError as e:
        row('web get_client(http2=True) get_customer', False, f'ImportError: {e}')


def main():
    global M
    logger.remove()  # the SDK logs through loguru: to .work/sdk.log, not onto the table
    logger.add(f'{sys.path[0]}/.work/sdk.log', level='DEBUG', mode='w')
    t0 = time.monotonic()

    def out_of_time():
        row('the suite finished in time', False, f'stopped after {time.monotonic() - t0:.0f} s')
        if M:
            M.stop()
        report(time.monotonic() - t0)
        os._exit(1)
    killer = threading.Timer(max(DEADLINE - time.monotonic(), 1), out_of_time)
    killer.daemon = True
    killer.start()
    M = guard('lc mock --json --tls-cert ... --ping-timeout ... started', Mock)
    try:
        if M is None:
            return report(time.monotonic() - t0)
        # What the agent side configures once: a prechat form, license and group properties.
        M.post('agent/set_form', {'group_id': 0, 'type': 'prechat', 'form': {'id': 'pre', 'fields': [
            {'id': 'q1', 'type': 'name', 'label': 'Your name', 'required': True}]}})
        M.post('agent/set_license_properties', {'properties': {'interop': {'plan': 'gold'}, 'other': {'x': 1}}})
        M.post('agent/set_group_properties', {'group_id': 0, 'properties': {'interop': {'tier': 2}, 'other': {'y': 1}}})
        # Two clients that only wait while the rest runs (checked after QUIET_FOR seconds).
        idle = [guard('quiet 3.6 rtm (ping_interval=0)', Idle, 'quiet 3.6 rtm (ping_interval=0)',
                      lambda t: f'Bearer {t}', {'ping_interval': 0}),
                guard('pinging 3.6 rtm (SDK defaults)', Idle, 'pinging 3.6 rtm (SDK defaults, login with AccessToken)',
                      lambda t: AccessToken(t, TokenType.BEARER), {})]
        guard('get_client options', client_options)
        rtm_customers = []
        for v in VERSIONS:
            for kind in ('web', 'rtm'):
                cust = guard(f'{v} {kind} scenario', scenario, v, kind)
                if kind == 'rtm' and cust:
                    rtm_customers.append((v, cust))
        for client in filter(None, idle):  # before the dropped sockets, which drop every connection
            guard(f'{client.name}: connected after {QUIET_FOR} s', client.check)
        guard('dropped sockets', dropped_sockets, rtm_customers)
        problems = M.get('problems')['problems']
        row('mock problems (its own bugs) empty', problems == [], short(problems))
    except Exception as e:  # noqa: BLE001 (the control API broke off the run)
        row('the suite ran to the end', False, f'{type(e).__name__}: {e}')
    finally:
        killer.cancel()
        if M:
            M.stop()
    return report(time.monotonic() - t0)


def report(took):
    width = max(len(n) for n, _, _ in ROWS)
    xfail = {n for n, ok, d in ROWS if not ok and n in DETAIL and re.search(DETAIL[n], d)}
    for name, ok, detail in ROWS:
        tag = 'PASS' if ok else ('XFAIL' if name in xfail else 'FAIL')
        print(f'{name:<{width}}  {tag:<5}  {detail}')
    failed = {n for n, ok, _ in ROWS if not ok}
    unexpected = sorted(failed - xfail)
    fixed = sorted(set(EXPECTED) - xfail)
    print()
    for n in sorted(xfail):
        print(f'expected failure: {n}: {EXPECTED[n]}')
    for n in unexpected:
        print(f'UNEXPECTED FAILURE: {n}')
    for n in fixed:
        print(f'EXPECTED FAILURE NOW PASSES (or did not run): {n}')
    print(f'({took:.1f} s)')
    print(f'{len(ROWS) - len(failed)} passed, {len(failed)} failed')
    return 0 if not unexpected and not fixed else 1


if __name__ == '__main__':
    sys.exit(main())
