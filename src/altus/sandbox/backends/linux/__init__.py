"""The ``linux`` sandbox backend: namespaces, cgroups and zygotes (see ``backend``)."""

from altus.sandbox.backends.linux.backend import LinuxBackend
from altus.sandbox.backends.linux.sandbox import LinuxSandbox

__all__ = ["LinuxBackend", "LinuxSandbox"]
