"""Altus's Python runtime client: runs inside an execution environment.

It speaks the Lambda Runtime API (2018-06-01) to the address in AWS_LAMBDA_RUNTIME_API,
imports the handler named by _HANDLER from LAMBDA_TASK_ROOT, and loops: next event ->
handler -> response or error, as the managed Python runtime does.

Cold-start cost matters here: this file imports only ``json`` and ``_socket`` up front.
``http.client`` alone would add ~40 ms (it pulls in ``email`` and ``ssl``), so the few
requests this client makes go over a small HTTP/1.1 client written for the one server
it talks to, which always answers with a Content-Length. ``traceback`` and ``logging``
are imported when first needed.

The module is import-safe: nothing runs until ``main()``, so a zygote can import it
ahead of time and fork.

Response streaming (Altus's own; Lambda's managed Python runtime has none): a handler
that returns a generator (a generator function is one) streams what it yields, as the
chunked ``POST .../response`` of the Runtime API's streaming mode, each value sent the
moment it is yielded. ``bytes`` go as they are, ``str`` as UTF-8, ``None`` and empty
values are skipped; a ``dict`` as the *first* value is the HTTP prelude of a function URL
(``{"statusCode", "headers", "cookies"}``, as Node's ``HttpResponseStream.from``), and
any other value fails the invocation with ``Runtime.MarshalError``. An exception after
the first chunk is reported in the HTTP trailers; one before it is an ordinary
``/error``. The client streams whatever way the function was invoked: a caller that
wanted the whole response (Invoke, a BUFFERED URL) gets it collected by the platform.
"""

import json
import os
import sys
import time

import _socket

RUNTIME_PREFIX = "/2018-06-01/runtime"
#: The type of a generator object, without importing ``types`` or ``inspect``.
_GENERATOR = type((lambda: (yield))())
_OCTET_STREAM = "application/octet-stream"
_HTTP_INTEGRATION = "application/vnd.awslambda.http-integration-response"
_ERROR_TYPE_TRAILER = "Lambda-Runtime-Function-Error-Type"
_ERROR_BODY_TRAILER = "Lambda-Runtime-Function-Error-Body"
# Marker the formatted stack trace stops at: frames of this file are the runtime's own.
_THIS_FILE = __file__
# The rest of a pipelined ``GET /next`` after its path.
_NEXT_HEAD = b" HTTP/1.1\r\nHost: runtime\r\nContent-Length: 0\r\n\r\n"


class _RuntimeConnection:
    """A keep-alive HTTP/1.1 connection to the Runtime API with TCP_NODELAY set."""

    def __init__(self, address):
        host, _, port = address.rpartition(":")
        self._address = (host or "127.0.0.1", int(port))
        self._sock = None
        self._buffer = b""

    def _connect(self):
        sock = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
        sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
        sock.connect(self._address)
        self._sock = sock
        self._buffer = b""

    def request(self, method, path, body=b"", headers=None):
        """Send one request; return (status, headers with lower-case names, body)."""
        for attempt in (0, 1):
            if self._sock is None:
                self._connect()
            try:
                self._send(method, path, body, headers)
                return self._read_response()
            except (ConnectionError, OSError):
                # A stale keep-alive connection: reconnect once, then give up.
                self.close()
                if attempt:
                    raise
        raise ConnectionError("unreachable")

    def post_then_next(self, path, body, headers, next_path):
        """POST ``body`` to ``path`` and, in the same write, GET ``next_path``; return
        the GET's (status, headers, body). Nothing in the POST's answer (a 202) changes
        what the runtime does next, so it does not wait for it: one write and one read
        per invoke instead of two each."""
        following = b"GET " + next_path.encode("latin-1") + _NEXT_HEAD
        for attempt in (0, 1):
            if self._sock is None:
                self._connect()
            try:
                self._send("POST", path, body, headers, following)
                self._read_response()
                return self._read_response()
            except (ConnectionError, OSError):
                self.close()
                if attempt:
                    raise
        raise ConnectionError("unreachable")

    def _send(self, method, path, body, headers, following=b""):
        lines = [f"{method} {path} HTTP/1.1", "Host: runtime", f"Content-Length: {len(body)}"]
        if headers:
            lines.extend(f"{k}: {v}" for k, v in headers.items())
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if len(body) < 65536:
            self._sock.sendall(head + body + following)
            return
        self._sock.sendall(head)
        self._sock.sendall(body)
        if following:
            self._sock.sendall(following)

    def stream(self, path, headers, pieces, trailers):
        """POST a chunked body made of ``pieces`` (non-empty bytes), sending each as it
        comes; then the trailers ``trailers()`` gives (a dict, or None). Returns the
        server's (status, headers, body). Never retried: the pieces are consumed."""
        if self._sock is None:
            self._connect()
        lines = [f"POST {path} HTTP/1.1", "Host: runtime", "Transfer-Encoding: chunked"]
        lines.extend(f"{k}: {v}" for k, v in headers.items())
        pending = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        sock = self._sock
        for piece in pieces:
            size = b"%x\r\n" % len(piece)
            if len(piece) < 65536:
                sock.sendall(pending + size + piece + b"\r\n")
            else:
                sock.sendall(pending + size)
                sock.sendall(piece)
                sock.sendall(b"\r\n")
            pending = b""
        ending = trailers() or {}
        tail = "".join(f"{k}: {v}\r\n" for k, v in ending.items()).encode("latin-1")
        sock.sendall(pending + b"0\r\n" + tail + b"\r\n")
        return self._read_response()

    def _read_response(self):
        while b"\r\n\r\n" not in self._buffer:
            self._fill()
        head, _, rest = self._buffer.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(rest) < length:
            chunk = self._sock.recv(max(65536, length - len(rest)))
            if not chunk:
                raise ConnectionError("Runtime API closed the connection")
            rest += chunk
        self._buffer = rest[length:]
        return status, headers, rest[:length]

    def _fill(self):
        chunk = self._sock.recv(65536)
        if not chunk:
            raise ConnectionError("Runtime API closed the connection")
        self._buffer += chunk

    def close(self):
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None


class LambdaContext:
    """The context object handed to the handler, with the attributes Lambda documents."""

    def __init__(self, request_id, deadline_ms, invoked_arn, client_context, identity):
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.client_context = _ClientContext(client_context) if client_context else None
        self.identity = _CognitoIdentity(identity)
        self.tenant_id = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def __repr__(self):
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id},"
            f"log_group_name={self.log_group_name},log_stream_name={self.log_stream_name},"
            f"function_name={self.function_name},memory_limit_in_mb={self.memory_limit_in_mb},"
            f"function_version={self.function_version},"
            f"invoked_function_arn={self.invoked_function_arn},"
            f"client_context={self.client_context},identity={self.identity}])"
        )


class _CognitoIdentity:
    def __init__(self, data):
        data = data or {}
        self.cognito_identity_id = data.get("cognitoIdentityId")
        self.cognito_identity_pool_id = data.get("cognitoIdentityPoolId")

    def __repr__(self):
        return (
            f"CognitoIdentity([cognito_identity_id={self.cognito_identity_id},"
            f"cognito_identity_pool_id={self.cognito_identity_pool_id}])"
        )


class _Client:
    def __init__(self, data):
        self.installation_id = data.get("installation_id")
        self.app_title = data.get("app_title")
        self.app_version_name = data.get("app_version_name")
        self.app_version_code = data.get("app_version_code")
        self.app_package_name = data.get("app_package_name")


class _ClientContext:
    def __init__(self, data):
        self.client = _Client(data["client"]) if data.get("client") else None
        self.custom = data.get("custom")
        self.env = data.get("env")

    def __repr__(self):
        return f"ClientContext([client={self.client},custom={self.custom},env={self.env}])"


class FaultError(Exception):
    """An error of the runtime's own kind (``Runtime.*``), not one the user raised."""

    def __init__(self, error_type, message, trace=None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace or []


def _error_body(error_type, message, trace, request_id=""):
    return {
        "errorMessage": message,
        "errorType": error_type,
        "requestId": request_id,
        "stackTrace": trace,
    }


def _user_trace(tb):
    import traceback

    frames = traceback.extract_tb(tb)
    while frames and frames[0].filename == _THIS_FILE:
        frames = traceback.StackSummary.from_list(frames[1:])
    return traceback.format_list(frames)


def _log_error(body):
    lines = [f"[ERROR] {body['errorType']}: {body['errorMessage']}" if body["errorMessage"]
             else f"[ERROR] {body['errorType']}"]
    lines.append("Traceback (most recent call last):")
    for element in body["stackTrace"]:
        lines.extend(element.splitlines())
    # One log event, as on Lambda: the lines are joined with carriage returns.
    sys.stdout.write("\r".join(lines).replace("\n", "\r") + "\n")


def load_handler(handler, task_root):
    """Import the handler named ``module.function`` the way Lambda's runtime does."""
    try:
        module_name, function_name = handler.rsplit(".", 1)
    except ValueError as error:
        raise FaultError(
            "Runtime.MalformedHandlerName", f"Bad handler '{handler}': {error}"
        ) from None
    if not module_name or not function_name:
        raise FaultError(
            "Runtime.MalformedHandlerName",
            f"Bad handler '{handler}': not enough values to unpack (expected 2, got 1)",
        )
    if module_name.split(".")[0] in sys.builtin_module_names:
        raise FaultError(
            "Runtime.BuiltInModuleConflict",
            f"Cannot use built-in module {module_name} as a handler module",
        )
    import importlib

    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as error:
        raise FaultError(
            "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {error}"
        ) from None
    except SyntaxError as error:
        trace = [f'  File "{error.filename}" Line {error.lineno}\n    {error.text}']
        raise FaultError(
            "Runtime.UserCodeSyntaxError",
            f"Syntax error in module '{module_name}': {error}",
            trace,
        ) from None
    try:
        return getattr(module, function_name)
    except AttributeError:
        raise FaultError(
            "Runtime.HandlerNotFound",
            f"Handler '{function_name}' missing on module '{module_name}'",
        ) from None


class _Encoder(json.JSONEncoder):
    def default(self, o):
        # Lambda's runtime serialises Decimal (as DynamoDB returns) as a JSON number.
        if type(o).__name__ == "Decimal":
            return int(o) if o == o.to_integral_value() else float(o)
        return super().default(o)


def _marshal(result):
    try:
        return json.dumps(result, cls=_Encoder).encode()
    except (TypeError, ValueError) as error:
        raise FaultError("Runtime.MarshalError", f"Unable to marshal response: {error}") from None


_current_request_id = ""

#: Called once the handler is loaded, before the first event. The linux sandbox's
#: zygote sets it in an environment from which it learns what the function imports.
after_init = None


def _install_lambda_logging(logging):
    """Give the root logger the handler Lambda's Python runtime gives it."""

    class Handler(logging.Handler):
        def emit(self, record):
            try:
                sys.stdout.write(self.format(record) + "\n")
            except Exception:
                self.handleError(record)

    class Formatter(logging.Formatter):
        def formatTime(self, record, datefmt=None):
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            return f"{stamp}.{int(record.msecs):03d}Z"

        def format(self, record):
            record.aws_request_id = _current_request_id
            return super().format(record)

    handler = Handler()
    handler.setFormatter(
        Formatter("[%(levelname)s]\t%(asctime)s\t%(aws_request_id)s\t%(message)s")
    )
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL")
    if level:
        root.setLevel(level.upper())


class _LoggingImportHook:
    """Installs Lambda's log handler the moment anything imports ``logging``.

    Importing ``logging`` costs several milliseconds of every cold start; a function that
    never logs should not pay them, and one that does must find the handler in place as
    soon as its import finishes, exactly as on Lambda.
    """

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "logging":
            return None
        sys.meta_path.remove(self)
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            spec = find(fullname, path, target) if find else None
            if spec is not None:
                spec.loader = _InstallAfterExec(spec.loader)
                return spec
        return None


class _InstallAfterExec:
    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        _install_lambda_logging(module)


def _prepare_interpreter(task_root):
    """Give user code the sys.path and builtins it has on Lambda."""
    import builtins

    import _sitebuiltins

    # The interpreter runs with -S (no site-packages of the host); put back the
    # interactive helpers that ``site`` would have added and some scripts call.
    builtins.exit = _sitebuiltins.Quitter("exit", "Ctrl-D (i.e. EOF)")
    builtins.quit = _sitebuiltins.Quitter("quit", "Ctrl-D (i.e. EOF)")
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    runtime_dir = os.path.dirname(_THIS_FILE)
    front = [task_root, f"/opt/python/lib/{version}/site-packages", "/opt/python"]
    rest = [p for p in sys.path if p not in front and p != runtime_dir]
    # The AWS SDK the runtime ships (boto3), after the standard library as Lambda's
    # site-packages is: a copy in the function's code or layers comes first.
    sdk = os.environ.pop("ALTUS_PYTHON_SDK", None)
    sys.path[:] = front + rest + ([sdk] if sdk else []) + [runtime_dir]
    os.chdir(task_root)


def main():
    global _current_request_id
    api = os.environ["AWS_LAMBDA_RUNTIME_API"]
    handler_name = os.environ.get("_HANDLER", "")
    task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    connection = _RuntimeConnection(api)
    _prepare_interpreter(task_root)
    if "logging" in sys.modules:
        _install_lambda_logging(sys.modules["logging"])
    else:
        sys.meta_path.insert(0, _LoggingImportHook())

    try:
        handler = load_handler(handler_name, task_root)
    except FaultError as fault:
        body = _error_body(fault.error_type, fault.message, fault.trace)
        _fail_init(connection, body)
    except Exception as error:
        body = _error_body(type(error).__name__, str(error), _user_trace(error.__traceback__))
        _fail_init(connection, body)
    if after_init is not None:
        after_init()

    next_path = RUNTIME_PREFIX + "/invocation/next"
    answer = connection.request("GET", next_path)
    while True:
        status, headers, event = answer
        if status != 200:
            sys.exit(f"Runtime API /next answered {status}: {event[:200]!r}")
        request_id = headers.get("lambda-runtime-aws-request-id", "")
        _current_request_id = request_id
        trace_id = headers.get("lambda-runtime-trace-id")
        if trace_id:
            os.environ["_X_AMZN_TRACE_ID"] = trace_id
        else:
            os.environ.pop("_X_AMZN_TRACE_ID", None)
        result, error_body = _invoke(handler, request_id, headers, event)
        if error_body is None and isinstance(result, _GENERATOR):
            error_body = _stream(connection, request_id, result)
            if error_body is None:
                answer = connection.request("GET", next_path)
                continue
        if error_body is None:
            answer = connection.post_then_next(
                f"{RUNTIME_PREFIX}/invocation/{request_id}/response",
                result,
                {"Content-Type": "application/json"},
                next_path,
            )
        else:
            _log_error(error_body)
            answer = connection.post_then_next(
                f"{RUNTIME_PREFIX}/invocation/{request_id}/error",
                json.dumps(error_body).encode(),
                {
                    "Content-Type": "application/json",
                    "Lambda-Runtime-Function-Error-Type": error_body["errorType"],
                },
                next_path,
            )


def _invoke(handler, request_id, headers, event):
    try:
        context = LambdaContext(
            request_id,
            int(headers.get("lambda-runtime-deadline-ms", "0")),
            headers.get("lambda-runtime-invoked-function-arn"),
            _parse_json_header(headers.get("lambda-runtime-client-context"), "Client Context"),
            _parse_json_header(headers.get("lambda-runtime-cognito-identity"), "Cognito Identity"),
        )
        try:
            payload = json.loads(event) if event else {}
        except ValueError as error:
            raise FaultError(
                "Runtime.UnmarshalError", f"Unable to unmarshal input: {error}"
            ) from None
        result = handler(payload, context)
        if isinstance(result, _GENERATOR):
            return result, None
        return _marshal(result), None
    except FaultError as fault:
        return None, _error_body(fault.error_type, fault.message, fault.trace, request_id)
    except Exception as error:
        trace = _user_trace(error.__traceback__)
        return None, _error_body(type(error).__name__, str(error), trace, request_id)


def _stream(connection, request_id, generator):
    """Stream a generator handler's values as the invocation's response. Returns the
    error document when it failed before its first value (nothing was sent: the caller
    posts it to /error); None once the stream, successful or not, is posted."""
    try:
        first = next(generator, None)
        if isinstance(first, dict):
            content_type = _HTTP_INTEGRATION
            first = json.dumps(first, cls=_Encoder).encode() + b"\0" * 8
        else:
            content_type = _OCTET_STREAM
            first = _chunk_bytes(first)
    except FaultError as fault:
        return _error_body(fault.error_type, fault.message, fault.trace, request_id)
    except Exception as error:
        return _error_body(type(error).__name__, str(error), _user_trace(error.__traceback__),
                           request_id)
    failure = []

    def pieces():
        if first:
            yield first
        try:
            for value in generator:
                piece = _chunk_bytes(value)
                if piece:
                    yield piece
        except FaultError as fault:
            failure.append(_error_body(fault.error_type, fault.message, fault.trace,
                                       request_id))
        except Exception as error:
            failure.append(_error_body(type(error).__name__, str(error),
                                       _user_trace(error.__traceback__), request_id))

    def trailers():
        if not failure:
            return None
        import binascii

        body = failure[0]
        _log_error(body)
        encoded = binascii.b2a_base64(json.dumps(body).encode(), newline=False)
        return {_ERROR_TYPE_TRAILER: body["errorType"],
                _ERROR_BODY_TRAILER: encoded.decode("ascii")}

    connection.stream(
        f"{RUNTIME_PREFIX}/invocation/{request_id}/response",
        {"Content-Type": content_type,
         "Lambda-Runtime-Function-Response-Mode": "streaming",
         "Trailer": f"{_ERROR_TYPE_TRAILER}, {_ERROR_BODY_TRAILER}"},
        pieces(), trailers,
    )
    return None


def _chunk_bytes(value):
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    raise FaultError(
        "Runtime.MarshalError",
        f"Unable to marshal response: a streamed value must be bytes or str, not "
        f"{type(value).__name__}",
    )


def _parse_json_header(value, what):
    if not value:
        return None
    try:
        return json.loads(value)
    except ValueError as error:
        raise FaultError(
            "Runtime.LambdaContextUnmarshalError", f"Unable to parse {what} JSON: {error}"
        ) from None


def _fail_init(connection, body):
    _log_error(body)
    try:
        connection.request(
            "POST",
            RUNTIME_PREFIX + "/init/error",
            json.dumps(body).encode(),
            {"Content-Type": "application/json",
             "Lambda-Runtime-Function-Error-Type": body["errorType"]},
        )
    finally:
        sys.exit(1)


if __name__ == "__main__":
    main()
