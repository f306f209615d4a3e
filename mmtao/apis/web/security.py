# Copyright (c) mmtao contributors. All rights reserved.
"""Request guard of the browser demo (a pure ASGI middleware).

A local server is reachable by every web page the user opens: a page on
another origin may send "simple" requests (no CORS preflight) and never
read the answer, which is enough to upload files or start jobs. The guard
refuses, for every state-changing method (POST, PUT, PATCH, DELETE):

- a ``Sec-Fetch-Site`` other than ``same-origin`` / ``none`` (a page on
  another port of the same host is ``same-site``: refused too);
- an ``Origin`` other than the server's own (``http://`` + the ``Host``
  header, which ``TrustedHostMiddleware`` already checked);
- a body that is not ``application/json``, ``application/octet-stream``
  or ``video/*`` (the three content types a page may send without a
  preflight are all refused);
- a request without the ``X-Requested-With: mmtao`` header: a custom header
  makes any cross-origin request a preflighted one, and the server answers
  no preflight (no CORS), so browsers never send it. This holds whatever
  the FastAPI version (FastAPI >= 0.132 also refuses non-JSON bodies).

It also bounds request bodies (``max_body_bytes``; the upload route streams
and bounds its own body) and adds security headers to every response (CSP,
``X-Frame-Options: DENY``, ``nosniff``, no referrer, same-origin resource
policy).
"""
import json
from typing import Callable, Iterable, Optional

STATE_CHANGING = {'POST', 'PUT', 'PATCH', 'DELETE'}
CSRF_HEADER = 'x-requested-with'
CSRF_VALUE = 'mmtao'
SECURITY_HEADERS = [
    (b'content-security-policy',
     b"default-src 'self'; script-src 'self'; style-src 'self'; "
     b"img-src 'self' data: blob:; media-src 'self'; connect-src 'self'; "
     b"object-src 'none'; base-uri 'none'; form-action 'none'; "
     b"frame-ancestors 'none'"),
    (b'x-frame-options', b'DENY'),
    (b'x-content-type-options', b'nosniff'),
    (b'referrer-policy', b'no-referrer'),
    (b'cross-origin-resource-policy', b'same-origin'),
]


class RequestGuard:
    """Refuse cross-site state changes and big bodies; add headers.

    Args:
        app: The ASGI application to guard.
        max_body_bytes (int): Largest body of any request but the
            ``stream_paths`` ones. Defaults to 64 KiB.
        stream_paths (Iterable[str]): Paths that bound their own body
            (uploads).
        on_refused (callable, optional): Called with one line for every
            refused cross-site request (the demo prints it).
    """

    def __init__(self,
                 app,
                 max_body_bytes: int = 64 * 1024,
                 stream_paths: Iterable[str] = (),
                 on_refused: Optional[Callable[[str], None]] = None) -> None:
        self.app = app
        self.on_refused = on_refused
        self.max_body_bytes = max_body_bytes
        self.stream_paths = set(stream_paths)

    async def __call__(self, scope, receive, send) -> None:
        if scope['type'] != 'http':
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message) -> None:
            if message['type'] == 'http.response.start':
                names = {k.lower() for k, _ in message.get('headers', [])}
                message = dict(message)
                message['headers'] = list(message.get('headers', [])) + [
                    (k, v) for k, v in SECURITY_HEADERS if k not in names
                ]
            await send(message)

        headers = {
            k.decode('latin-1').lower(): v.decode('latin-1')
            for k, v in scope['headers']
        }
        if scope['method'] in STATE_CHANGING:
            reason = self.cross_site_reason(headers)
            if reason is not None:
                if self.on_refused is not None:
                    self.on_refused(f'refused {scope["method"]} '
                                    f'{scope["path"]}: {reason}')
                await _reply(send_with_headers, 403, reason)
                return
        if scope['path'] in self.stream_paths:
            await self.app(scope, receive, send_with_headers)
            return
        length = headers.get('content-length', '')
        if length.isdigit() and int(length) > self.max_body_bytes:
            await _reply(send_with_headers, 413, self._too_large())
            return
        # read (at most the limit of) the body now, then replay it
        body, more = b'', scope['method'] in STATE_CHANGING or length
        while more:
            message = await receive()
            if message['type'] != 'http.request':
                return  # the client went away
            body += message.get('body', b'')
            more = message.get('more_body', False)
            if len(body) > self.max_body_bytes:
                await _reply(send_with_headers, 413, self._too_large())
                return
        sent = [False]

        async def replay():
            if not sent[0]:
                sent[0] = True
                return {'type': 'http.request', 'body': body,
                        'more_body': False}
            return await receive()

        await self.app(scope, replay, send_with_headers)

    def _too_large(self) -> str:
        return (f'the request is larger than {self.max_body_bytes // 1024} '
                'KiB (a tracking request is a few hundred bytes)')

    @staticmethod
    def cross_site_reason(headers: dict) -> Optional[str]:
        """Why a state-changing request is refused, or None."""
        site = headers.get('sec-fetch-site')
        if site is not None and site not in ('same-origin', 'none'):
            return (f'refused a {site} request: only this page may change '
                    'anything on this server')
        origin = headers.get('origin')
        host = headers.get('host', '')
        if origin is not None and origin not in (f'http://{host}',
                                                 f'https://{host}'):
            return (f'refused a request from another origin '
                    f'({origin[:60]}): only this page may change anything '
                    'on this server')
        ctype = headers.get('content-type', '').split(';')[0].strip().lower()
        if ctype not in ('application/json', 'application/octet-stream') \
                and not ctype.startswith('video/'):
            return (f'refused a request with content type {ctype[:40]!r}: '
                    'expected application/json (or a video for uploads)')
        if headers.get(CSRF_HEADER) != CSRF_VALUE:
            return (f'refused: the request lacks the {CSRF_HEADER}: '
                    f'{CSRF_VALUE} header the page sends')
        return None


async def _reply(send, status: int, detail: str) -> None:
    body = json.dumps({'detail': detail}).encode()
    await send({
        'type': 'http.response.start',
        'status': status,
        'headers': [(b'content-type', b'application/json'),
                    (b'content-length', str(len(body)).encode())]
    })
    await send({'type': 'http.response.body', 'body': body})
