"""The HTTP/1.1 server of the API port: ASGI 3 over ``httptools`` on the running loop.

It replaces uvicorn because the port is on the warm path of every invoke. Counted by
callgrind on this machine for a raw ASGI app answering a small POST (uvloop, one
keep-alive connection), uvicorn's httptools protocol runs 124k instructions per request,
this server 103k, a bare httptools protocol 11k; and it writes a whole response (head
and body) in one system call where uvicorn makes two. What the app sees is plain ASGI
(Starlette's requests and responses work unchanged); the server adds only what a server
must: keep-alive and pipelining, ``Expect: 100-continue``, flow control both ways,
response framing (``Content-Length`` or chunked), header checks, WebSocket sessions
(ASGI's ``websocket`` scope, on the ``websockets`` library's sans-I/O protocol), and a
graceful stop.
"""

from altus.httpd.server import HttpServer

__all__ = ["HttpServer"]
