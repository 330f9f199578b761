"""The HTTP/1.1 server of the API port: ASGI 3 over ``httptools`` on the running loop.

It replaces uvicorn on the port because the port is on the warm path of every invoke:
measured on this machine (2 cores, uvloop, one keep-alive connection), uvicorn's
httptools protocol spends about 50 µs of CPU per request before the app runs, a bare
httptools protocol about 5 µs. What the app sees is plain ASGI (Starlette's requests
and responses work unchanged); the server adds only what a server must: keep-alive and
pipelining, ``Expect: 100-continue``, flow control both ways, response framing
(``Content-Length`` or chunked), header checks, and a graceful stop.
"""

from altus.httpd.server import HttpServer

__all__ = ["HttpServer"]
