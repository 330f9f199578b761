"""The zygote: a pre-started interpreter that forks isolated execution environments.

Runs on the function's interpreter (any Python 3.9+), outside the Altus package, with
only the standard library. The platform starts one per interpreter with a control
socket (its descriptor number in argv) and sends it one message per environment: the
descriptors that environment will report through. For each:

    zygote ─fork─> keeper ─unshare(mount, PID, IPC, UTS)─fork─> init (PID 1) ─fork─> runtime

- the *keeper* stays in the host's PID namespace and reports init's host PID and, when
  init is gone, how it ended;
- *init* is PID 1 of the new namespace: it joins the environment's cgroups, starts the
  runtime, reaps every process of the namespace and reports how the runtime ended; when
  it exits (or the platform kills it) the kernel kills everything the function started;
- the *runtime* waits on its own control socket for its assignment (below), then pivots
  into its own root, drops to the environment's uid with no_new_privs and either runs
  Altus's Python runtime client, already imported here (``python`` mode, no exec: this
  is what makes a cold start take milliseconds), or execs the runtime's command line
  (``exec`` mode: Node.js, provided runtimes, exec wrappers).

The root an environment sees is a small read-only tmpfs holding bind mounts of the host's
``/usr`` and ``/etc``, the interpreters, ``/var/runtime`` (Altus's runtime clients),
``/var/task`` (the function's code), an empty ``/opt``, a few device nodes, its own
``/proc`` and a private ``/tmp`` tmpfs of EphemeralStorage size. The part every
environment shares is built once, in the zygote's own mount namespace; each environment
copies it with ``unshare`` and adds only its code, its /tmp and its /proc.

Parent-death signals chain the platform, the zygote, the keeper, init and the runtime, so
nothing outlives a server that is killed outright.
"""

import contextlib
import ctypes
import json
import os
import resource
import signal
import socket
import sys
import time

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000
MNT_DETACH = 0x2

_IFREQ = "16sH22x"  # struct ifreq: the name, then ifr_flags in a 24-byte union
_SIOCGIFFLAGS = 0x8913
_SIOCSIFFLAGS = 0x8914
_IFF_UP = 0x1

PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38
_CAPABILITY_VERSION_3 = 0x20080522

_SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}.get(os.uname().machine)
_DEVICES = ("null", "zero", "full", "random", "urandom")
_MAX_FDS = 64  # descriptors one request may carry
#: Most module names a learning environment reports, and a function zygote imports.
_MAX_MODULES = 20_000

_libc = ctypes.CDLL(None, use_errno=True)

#: Set in a function zygote (below): the descriptors its imports left open, which its
#: environments keep (a library may hold one); None in a runtime zygote.
_function_fds = None


class SetupError(Exception):
    """The environment could not be built; reported on the exec pipe."""


class Unsupported(SetupError):
    """This machine cannot run function zygotes at all (reported as such, once)."""


def _check(result, what):
    if result != 0:
        number = ctypes.get_errno()
        raise SetupError(f"{what}: {os.strerror(number)}")


def _mount(source, target, fstype, flags, data=None):
    _check(
        _libc.mount(
            source.encode() if source else None,
            target.encode(),
            fstype.encode() if fstype else None,
            ctypes.c_ulong(flags),
            data.encode() if data else None,
        ),
        "mount " + target,
    )


def _bind(source, target, writable=False, device=False):
    _mount(source, target, None, MS_BIND | MS_REC)
    flags = MS_BIND | MS_REMOUNT | MS_NOSUID
    flags |= (0 if writable else MS_RDONLY) | (0 if device else MS_NODEV)
    _mount(None, target, None, flags)


def _prctl(option, value):
    _check(_libc.prctl(option, ctypes.c_ulong(value), 0, 0, 0), "prctl")


# --- the shared part of every root (built once, in the zygote) -------------------------


def build_template(root, binds):
    """Make the zygote's own mount namespace and, at ``root``, the part of an
    environment's root that every environment shares."""
    _check(_libc.unshare(CLONE_NEWNS), "unshare(mount)")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
    for name in ("usr", "etc", "var/task", "var/runtime", "opt", "tmp", "proc", "dev", ".old"):
        os.makedirs(os.path.join(root, name), exist_ok=True)
    os.chmod(os.path.join(root, "tmp"), 0o1777)
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        host = "/" + name
        if os.path.islink(host):
            os.symlink(os.readlink(host), os.path.join(root, name))
        elif os.path.isdir(host):
            os.makedirs(os.path.join(root, name))
            _bind(host, os.path.join(root, name))
    _bind("/usr", os.path.join(root, "usr"))
    _bind("/etc", os.path.join(root, "etc"))
    for source, target in binds:
        inside = os.path.join(root, target.lstrip("/"))
        if os.path.isdir(source):
            os.makedirs(inside, exist_ok=True)
            _bind(source, inside)
    dev = os.path.join(root, "dev")
    for name in _DEVICES:
        node = os.path.join(dev, name)
        open(node, "w").close()
        _bind("/dev/" + name, node, writable=True, device=True)
    for name, target in (
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ):
        os.symlink(target, os.path.join(dev, name))


# --- one environment ---------------------------------------------------------------------
#
# An environment is started ahead of need, as a *blank*: the expensive steps (two forks,
# the namespaces, joining its cgroups, which costs an RCU grace period on cgroup v1) are
# done while no invoke waits. The blank's runtime process then waits on its own control
# socket until the platform *assigns* it a function: code, /tmp size, uid, environment.


def _enter_root(root, assignment):
    """In the runtime process (root, in its namespace's copy of the template): add this
    environment's mounts, pivot into the root, lock it read-only."""
    _bind(assignment["task_root"], os.path.join(root, "var/task"))
    tmp_size = f"size={int(assignment['tmp_mb'])}m,mode=1777"
    _mount("tmpfs", os.path.join(root, "tmp"), "tmpfs", MS_NOSUID | MS_NODEV, tmp_size)
    for source, target in assignment.get("binds", ()):
        inside = os.path.join(root, target.lstrip("/"))
        if os.path.isdir(source):
            os.makedirs(inside, exist_ok=True)  # in the shared template: an empty dir
            _bind(source, inside)
    _check(
        _libc.syscall(_SYS_PIVOT_ROOT, root.encode(), os.path.join(root, ".old").encode()),
        "pivot_root",
    )
    os.chdir("/")
    _check(_libc.umount2(b"/.old", MNT_DETACH), "umount old root")
    # hidepid: the function sees only its own processes, not init (root) and its details.
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2")
    _mount(None, "/", None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def _enter_function_root(assignment):
    """In an environment of a function zygote: the root is already the zygote's (this
    function's code, read-only, pivoted into); add this environment's own /tmp and its
    PID namespace's /proc."""
    tmp_size = f"size={int(assignment['tmp_mb'])}m,mode=1777"
    _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, tmp_size)
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2")


def _close_inherited(keep):
    """Close every descriptor from 3 up except those in ``keep`` (close_range(2) per gap,
    whatever the limit)."""
    low = 3
    for fd in sorted(k for k in keep if k is not None and k >= low):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, 1 << 20)


def _become(uid):
    """Drop to ``uid`` for good: no groups, no capabilities, no_new_privs. From root the
    kernel clears the capabilities itself; inside a user namespace of its own (a function
    zygote's environment) the process keeps them across setuid, so they are cleared
    explicitly."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    _check(
        _libc.capset(ctypes.byref(_CapHeader(_CAPABILITY_VERSION_3, 0)), (_CapData * 2)()), "capset"
    )
    _prctl(PR_SET_NO_NEW_PRIVS, 1)


def _report_failure(exec_pipe, error):
    if isinstance(error, SetupError):
        message = str(error)
    else:
        import traceback

        message = traceback.format_exc()
    with contextlib.suppress(OSError):
        os.write(exec_pipe, message.encode()[:4000])


def _isolate_network(relay, platform_address, extension, extension_port, uid, xray=None):
    """Give the runtime a network namespace with only loopback, and a Runtime API
    address on it that init relays to the platform, as ``uid`` (the only uid whose
    connections the environment's Runtime API accepts); and, where the platform serves
    the Parameters and Secrets extension (``extension``), its port (``extension_port``,
    the function's PARAMETERS_SECRETS_EXTENSION_HTTP_PORT) relayed to it too; and
    ``xray`` (the X-Ray daemon's UDP address, if any): datagrams to 127.0.0.1:2000 inside
    are relayed to it."""
    _check(_libc.unshare(CLONE_NEWNET), "unshare(network)")
    import fcntl
    import struct

    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        request = struct.pack(_IFREQ, b"lo", 0)
        flags = struct.unpack(_IFREQ, fcntl.ioctl(probe, _SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(probe, _SIOCSIFFLAGS, struct.pack(_IFREQ, b"lo", flags | _IFF_UP))
    finally:
        probe.close()
    relays = []
    if platform_address:
        relays.append((9001, platform_address))
    if extension and extension_port and extension_port.isascii() and extension_port.isdigit():
        inner = int(extension_port)
        if 0 < inner < 65536 and inner != 9001:
            relays.append((inner, extension))
    if not relays and not xray:
        return None
    targets, listeners = [], []
    for inner, address in relays:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", inner))
        listener.listen(16)
        host, port = address.rsplit(":", 1)
        targets.append([host, int(port)])
        listeners.append(listener)
    if xray:
        datagrams = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        datagrams.bind(("127.0.0.1", 2000))
        host, port = xray.rsplit(":", 1)
        targets.append([host, int(port), "udp"])
        listeners.append(datagrams)
    message = json.dumps({"targets": targets, "uid": uid}).encode()
    socket.send_fds(relay, [message], [listener.fileno() for listener in listeners])
    for listener in listeners:
        listener.close()
    return "127.0.0.1:9001" if platform_address else None


def _runtime(root, control, exec_pipe, bootstrap, relay):
    """PID 2 of the environment: waits for its assignment, enters its root, becomes the
    environment's uid and runs the runtime. Never returns."""
    try:
        message, fds, _, _ = socket.recv_fds(control, 1 << 22, 4)
        if not message or not fds:
            os._exit(0)  # the platform discarded this blank
        assignment, output = json.loads(message), fds[0]
        # A second descriptor: the platform wants to learn what this function imports.
        learn = fds[1] if len(fds) > 1 else None
        control.close()
        env = assignment["env"]
        extension = env.pop("ALTUS_SECRETS_EXTENSION", None)  # for init's relay only
        xray = env.pop("ALTUS_XRAY_DAEMON", None)  # for init's relay only
        if assignment.get("network") == "isolated":
            address = _isolate_network(
                relay,
                env.get("AWS_LAMBDA_RUNTIME_API"),
                extension,
                env.get("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT"),
                assignment["uid"],
                xray,
            )
            if address:
                env["AWS_LAMBDA_RUNTIME_API"] = address
        relay.close()
        if assignment.get("hostname"):
            socket.sethostname(assignment["hostname"])
        if _function_fds is None:
            _enter_root(root, assignment)
        else:
            _enter_function_root(assignment)
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        _become(assignment["uid"])
        null = os.open("/dev/null", os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(output, 1)
        os.dup2(output, 2)
        _close_inherited({exec_pipe, learn, *(_function_fds or ())})
        if learn is not None:
            os.set_inheritable(learn, False)
        os.chdir("/var/task")
        if assignment["mode"] == "exec":
            argv = assignment["argv"]
            os.set_inheritable(exec_pipe, False)
            try:
                os.execve(argv[0], argv, env)
            except OSError as error:
                raise SetupError(f"exec {argv[0]}: {error.strerror}") from None
    except Exception as error:  # the platform reports it; nothing else is listening
        _report_failure(exec_pipe, error)
        os._exit(127)
    # python mode: the runtime client is already imported; hand it the environment.
    os.environ.clear()
    os.environ.update(env)
    time.tzset()
    sys.argv = [bootstrap.__file__]
    _reseed_after_fork()
    if learn is not None:
        bootstrap.after_init = _reporter(learn, set(sys.modules))
    os.close(exec_pipe)  # EOF: the platform knows the environment started
    code = 0
    try:
        bootstrap.main()
    except SystemExit as done:
        if done.code is None or isinstance(done.code, int):
            code = done.code or 0
        else:  # sys.exit("message"): printed, status 1, as the interpreter would
            sys.stderr.write(f"{done.code}\n")
            code = 1
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


def _reseed_after_fork():
    """A generator seeded at import would repeat the zygote's sequence in every
    environment forked from it. The standard library's reseeds itself at fork; numpy's
    global one (imported by a function zygote) does not."""
    numpy_random = sys.modules.get("numpy.random")
    if numpy_random is not None:
        with contextlib.suppress(Exception):
            numpy_random.seed()


def _reporter(fd, before):
    """The hook a learning environment runs once its handler is loaded: it tells the
    platform, through ``fd``, which modules the INIT phase imported, in import order."""

    def report():
        try:
            names = [name for name in sys.modules if name not in before][:_MAX_MODULES]
            view = memoryview(json.dumps(names).encode())
            while view:
                view = view[os.write(fd, view) :]
        except OSError:
            pass  # the platform stopped listening: nothing is learned, nothing else changes
        finally:
            os.close(fd)

    return report


def _describe(waited):
    if os.WIFSIGNALED(waited):
        return b"signal %d\n" % os.WTERMSIG(waited)
    return b"exit %d\n" % os.WEXITSTATUS(waited)


def _init(root, fds, bootstrap):
    """PID 1 of the environment: joins the cgroups, starts the runtime process, then
    reaps every process of the namespace and reports how the runtime ended. When it
    exits, the kernel kills whatever is left in the namespace. Never returns."""
    status, exec_pipe, control, cgroups = fds[0], fds[1], fds[2], fds[3:]
    try:
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        # As PID 1 of its namespace it gets no signal it has no handler for: drop the
        # interpreter's SIGINT handler, so that the function cannot end it with one.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        for fd in cgroups:
            os.write(fd, b"0")  # "0" moves the writer itself into the cgroup
            os.close(fd)
        # The runtime hands init its Runtime API listener here when it has a network
        # namespace of its own (init stays in the host's, to reach the platform).
        relay_ours, relay_theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        runtime = os.fork()
    except Exception as error:
        _report_failure(exec_pipe, error)
        os._exit(127)
    if runtime == 0:
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        os.close(status)
        relay_ours.close()
        _runtime(root, socket.socket(fileno=control), exec_pipe, bootstrap, relay_theirs)
    os.close(exec_pipe)
    os.close(control)
    relay_theirs.close()
    _supervise(runtime, status, relay_ours)


def _supervise(runtime, status, relay):
    """init's loop: reap every child, relay Runtime API connections if asked to, and
    report the runtime's end. Never returns."""
    import selectors

    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    signal.set_wakeup_fd(wake_w)
    selector = selectors.DefaultSelector()
    selector.register(wake_r, selectors.EVENT_READ, "child")
    selector.register(relay, selectors.EVENT_READ, "relay")
    peers = {}
    outbound = None  # the socket relayed datagrams leave by, made at the first
    _reap_children(runtime, status)  # a runtime that ended before the handler was set
    while True:
        for key, _ in selector.select():
            what = key.data
            if what == "child":
                with contextlib.suppress(OSError):
                    os.read(wake_r, 512)
                _reap_children(runtime, status)
            elif what == "relay":
                try:
                    message, fds, _, _ = socket.recv_fds(relay, 4096, 4)
                except OSError:
                    message, fds = b"", []
                selector.unregister(relay)
                relay.close()
                if message and fds:
                    relayed = json.loads(message)
                    # From here on init needs no privilege: it relays as the
                    # environment's own uid, the only one its Runtime API answers.
                    _become(relayed["uid"])
                    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # cleared by the setuid
                    for index, target in enumerate(relayed["targets"]):
                        listener = socket.socket(fileno=fds[index])
                        listener.setblocking(False)
                        selector.register(listener, selectors.EVENT_READ, tuple(target))
            elif isinstance(what, tuple) and len(what) == 3:  # relayed datagrams (X-Ray)
                with contextlib.suppress(OSError):
                    datagram = key.fileobj.recv(65535)
                    if outbound is None:
                        outbound = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    outbound.sendto(datagram, what[:2])
            elif isinstance(what, tuple):  # a relayed listener: its target
                with contextlib.suppress(OSError):
                    inner, _ = key.fileobj.accept()
                    try:
                        outer = socket.create_connection(what, timeout=5)
                    except OSError:
                        inner.close()  # the platform is not there: the caller sees it shut
                        continue
                    for conn in (inner, outer):
                        conn.setblocking(True)
                        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    peers[inner], peers[outer] = outer, inner
                    selector.register(inner, selectors.EVENT_READ, "data")
                    selector.register(outer, selectors.EVENT_READ, "data")
            else:
                conn = key.fileobj
                if conn not in peers:
                    # Closed with its peer earlier in this round (both ends of a relayed
                    # connection can be ready at once): its key is stale.
                    continue
                try:
                    data = conn.recv(1 << 16)
                    if data:
                        peers[conn].sendall(data)
                        continue
                except OSError:
                    pass
                other = peers.pop(conn)
                peers.pop(other, None)
                for closing in (conn, other):
                    selector.unregister(closing)
                    closing.close()


def _reap_children(runtime, status):
    while True:
        try:
            pid, waited = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            os._exit(0)
        if pid == 0:
            return
        if pid == runtime:
            with contextlib.suppress(OSError):
                os.write(status, _describe(waited))
            os._exit(0)


def _keeper(root, request, fds, bootstrap):
    """Between the zygote and the environment, in the host's PID namespace: reports the
    environment's host PID and, once its PID 1 is gone, how it went. Never returns."""
    status = fds[0]
    try:
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS
        if _function_fds is not None:
            # A function zygote runs the function's own import code, so the platform
            # trusts nothing it says and hands it nothing privileged: this keeper asks
            # on the control socket (the kernel attaches its PID) and the platform moves
            # it into the environment's cgroup itself.
            os.write(fds[2], b"hello")
            if os.read(fds[2], 16) != b"joined":
                os._exit(0)  # discarded
            # Unprivileged, it makes its namespaces in a user namespace of its own, into
            # which the platform maps the environment's uid at assignment.
            flags |= CLONE_NEWUSER
        _check(_libc.unshare(flags), "unshare")
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # a new user namespace clears it
        if flags & CLONE_NEWUSER:
            os.write(fds[2], b"ready")  # in its user namespace: the uid can be mapped
        pid = os.fork()
        if pid == 0:
            _init(root, fds, bootstrap)
        for fd in fds:
            if fd != status:
                os.close(fd)
        os.write(status, b"pid %d\n" % pid)
        while True:
            try:
                _, waited = os.waitpid(pid, 0)
                break
            except InterruptedError:
                continue
        os.write(status, b"gone " + _describe(waited))
    except Exception as error:
        _report_failure(fds[1], error)
    os._exit(0)


def _reap(signum=None, frame=None):
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def serve(control, root, bootstrap):
    """Answer requests until the platform closes the control socket: ``{}`` asks for an
    environment (a blank), ``{"kind": "zygote", ...}`` for a function zygote (only a
    runtime zygote of Python makes those)."""
    signal.signal(signal.SIGCHLD, _reap)
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, 1 << 22, _MAX_FDS)
        except InterruptedError:
            continue
        if not message:
            return
        try:
            request = json.loads(message)
            kind = request.get("kind", "environment")
        except (ValueError, AttributeError):
            kind = None
        if kind not in ("environment", "zygote") or (
            kind == "zygote" and (bootstrap is None or _function_fds is not None)
        ):
            for fd in fds:
                os.close(fd)  # the platform sees its descriptors closed: refused
            continue
        try:
            pid = os.fork()
        except OSError as error:  # out of processes or memory: this request fails
            if kind == "environment" and len(fds) > 1:
                os.write(fds[1], f"fork: {error.strerror}".encode())
            pid = -1
        if pid == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the sweep is the zygote's own
            control.close()
            if kind == "zygote":
                _function_zygote(root, request, fds, bootstrap)
            _keeper(root, request, fds, bootstrap)
        for fd in fds:
            os.close(fd)


# --- function zygotes ------------------------------------------------------------------
#
# A function zygote belongs to one function configuration. Forked from the runtime
# zygote, it enters that function's root, drops to a uid of its own and imports what the
# function's first environment imported from installed distributions and the standard
# library (numpy, pandas, boto3 ...), so that its later environments find those modules
# loaded. The function's own modules are left out: their INIT runs in every environment,
# as on Lambda. Being unprivileged, it gives each environment a user namespace in which
# to make its other namespaces; the platform maps the environment's own uid into it.


def _function_zygote(root, request, fds, bootstrap):
    """Become the zygote of one function and serve its environments. Never returns."""
    global _function_fds
    control = socket.socket(fileno=fds[0])
    try:
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        # Join the zygote's cgroups while this is still the runtime zygote's code: the
        # descriptors are root's, and are closed before any of the function's code runs.
        for fd in fds[1:]:
            os.write(fd, b"0")
            os.close(fd)
        _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWIPC), "unshare")
        _enter_root(root, request)
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        _become(request["uid"])
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # cleared by the setuid
        null = os.open("/dev/null", os.O_RDWR)
        for target in (0, 1, 2):
            os.dup2(null, target)  # what imports print is not any invocation's output
        os.close(null)
        os.environ.clear()
        os.environ.update(request["env"])
        time.tzset()
        bootstrap._prepare_interpreter("/var/task")
        imported = preload(request["modules"], request.get("handler", ""))
        threading = sys.modules.get("threading")
        if threading is not None and threading.active_count() > 1:
            raise SetupError(
                "the function's modules start threads when imported; "
                "environments forked from them would lack those threads"
            )
        _check_user_namespaces()
        _function_fds = {fd for fd in _open_fds() if fd > 2 and fd != control.fileno()}
        import gc

        # What the imports made is never collected: the collector would otherwise touch
        # (and copy) those pages in every environment forked from here.
        gc.freeze()
    except Exception as error:
        word = b"unsupported " if isinstance(error, Unsupported) else b"error "
        with contextlib.suppress(OSError):
            control.send(word + _error_text(error).encode()[:4000])
        os._exit(1)
    control.send(b"ready %d %d" % (os.getpid(), imported))
    serve(control, "/", bootstrap)
    os._exit(0)


def _error_text(error):
    if isinstance(error, SetupError):
        return str(error)
    return f"{type(error).__name__}: {error}"


def _check_user_namespaces():
    """Prove, once, that this unprivileged zygote can give an environment its namespaces
    (a kernel or policy may forbid unprivileged user namespaces)."""
    pid = os.fork()
    if pid == 0:
        try:
            _check(
                _libc.unshare(
                    CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS
                ),
                "user namespace",
            )
            _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=1m")
        except BaseException:
            os._exit(1)
        os._exit(0)
    _, waited = os.waitpid(pid, 0)
    if not os.WIFEXITED(waited) or os.WEXITSTATUS(waited) != 0:
        raise Unsupported(
            "this kernel does not let an unprivileged process make user "
            "namespaces (user.max_user_namespaces, or a security policy)"
        )


def _open_fds():
    try:
        listed = [int(fd) for fd in os.listdir("/proc/self/fd")]
    except OSError:
        return set()
    found = set()
    for fd in listed:
        with contextlib.suppress(OSError):
            os.fstat(fd)  # the listing's own descriptor is closed by now
            found.add(fd)
    return found


def preload(names, handler):
    """Import, in order, the modules among ``names`` (what a function's INIT imported)
    that installed distributions or the standard library provide, leaving out the
    function's own code: its handler module and anything no distribution installed.
    A module that fails to import is skipped (the environment imports it itself and
    reports what it reports). Returns how many modules were added."""
    import importlib

    own = handler.rpartition(".")[0].replace("/", ".").partition(".")[0]
    installed = installed_top_levels(sys.path)
    stdlib = os.path.dirname(os.__file__)
    verdicts = {}
    before = len(sys.modules)
    for name in names[:_MAX_MODULES]:
        if not isinstance(name, str) or name in sys.modules:
            continue
        top = name.partition(".")[0]
        if not top or top in (own, "__main__"):
            continue
        if top not in verdicts:
            verdicts[top] = _preloadable(top, installed, stdlib)
        if verdicts[top]:
            try:
                importlib.import_module(name)
            except BaseException:
                continue
    return len(sys.modules) - before


def _preloadable(top, installed, stdlib):
    if top in installed:
        return True
    import importlib.util

    try:
        spec = importlib.util.find_spec(top)
    except BaseException:
        return False
    if spec is None:
        return False
    if spec.origin in ("built-in", "frozen"):
        return True
    origin = spec.origin or ""
    return (
        origin.startswith(stdlib + os.sep)
        and "site-packages" not in origin
        and "dist-packages" not in origin
    )


def installed_top_levels(paths):
    """Top-level module names that the distributions installed in ``paths`` provide
    (``*.dist-info``/``*.egg-info``: ``top_level.txt``, else the files in ``RECORD``)."""
    names = set()
    for path in paths:
        try:
            entries = os.listdir(path)
        except OSError:
            continue
        for entry in entries:
            if entry.endswith((".dist-info", ".egg-info")):
                names.update(_top_levels(os.path.join(path, entry)))
    return names


def _top_levels(meta):
    try:
        with open(os.path.join(meta, "top_level.txt")) as listing:
            return {line.strip() for line in listing if line.strip()}
    except OSError:
        pass
    found = set()
    try:
        with open(os.path.join(meta, "RECORD")) as record:
            for line in record:
                first = line.split(",", 1)[0].split("/", 1)[0]
                first = first.split(".", 1)[0]  # module.py, _ext.cpython-311-....so
                if first.isidentifier() and first != "__pycache__":
                    found.add(first)
    except OSError:
        pass
    return found


def _arm_parent_death():
    """Die with the platform, and take its environments along. Parent-death signals
    kill them, but cgroup v1 delivers nothing to a frozen process until it is thawed:
    so a runtime zygote (root) is told of the platform's death by a signal it can catch,
    kills what is left under the platform's cgroup root (``ALTUS_CGROUP_ROOT``: v1's
    freezer hierarchy, or v2's), thaws it so that the kills land, and exits."""
    root = os.environ.pop("ALTUS_CGROUP_ROOT", None)
    unified = os.environ.pop("ALTUS_CGROUP_UNIFIED", None) == "1"
    if not root:
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        return

    platform = os.getppid()

    def platform_died(signum, frame):
        # The signal comes when the *thread* that started this zygote ends: when the
        # platform dies, its other threads may still be going for a moment. Sweep once
        # this zygote is reparented; a stray SIGTERM (the platform alive) only ends it.
        try:
            for _ in range(200):
                if os.getppid() != platform:
                    sweep(root, unified)
                    break
                time.sleep(0.005)
        finally:
            os._exit(0)

    signal.signal(signal.SIGTERM, platform_died)
    _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def sweep(root, unified):
    """SIGKILL every process under the cgroup ``root`` and thaw what is frozen."""
    if unified:
        with contextlib.suppress(OSError), open(os.path.join(root, "cgroup.kill"), "w") as kill:
            kill.write("1")  # frozen or not, v2 kills the whole subtree
        return
    try:
        entries = [e.path for e in os.scandir(root) if e.is_dir(follow_symlinks=False)]
    except OSError:
        return
    for path in entries:
        with (
            contextlib.suppress(OSError, ValueError),
            open(os.path.join(path, "cgroup.procs")) as procs,
        ):
            for pid in procs.read().split():
                with contextlib.suppress(OSError):
                    os.kill(int(pid), signal.SIGKILL)
        with contextlib.suppress(OSError), open(os.path.join(path, "freezer.state"), "w") as state:
            state.write("THAWED")


def main():
    # argv: zygote.py <template root> <binds as JSON> <control fd> [<bootstrap.py>]
    _arm_parent_death()
    if os.getppid() == 1:
        os._exit(1)  # the platform is already gone
    root, binds, control_fd = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
    control = socket.socket(fileno=control_fd)
    bootstrap = None
    if len(sys.argv) > 4:
        import importlib.util

        spec = importlib.util.spec_from_file_location("altus_bootstrap", sys.argv[4])
        bootstrap = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(bootstrap)
    try:
        build_template(root, binds)
    except Exception as error:
        control.send(b"error " + str(error).encode()[:4000])
        return
    control.send(b"ready")
    serve(control, root, bootstrap)


if __name__ == "__main__":
    main()
