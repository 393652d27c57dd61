"""The app's processes in this headless session, for the window test and bench/app.py.

certdesk is more than one process: the window's (with WebKit's web and network processes) or the
tray's, and a closing window hands over to a new tray process. They are found by what they are,
not as children of the process a test started: WebKit's processes outlive the window's process
for a moment, reparented. Only this session's count (the same D-Bus session bus): another test
may run the same binary on this machine at the same time.
"""

import os

# /proc/PID/comm of WebKitGTK's helper processes (15 characters at most).
WEBKIT = ("WebKitWebProces", "WebKitNetworkPr", "WebKitGPUProces")
WEB_PROCESS = WEBKIT[0]


def _session(pid):
    """The D-Bus session bus of a process, None when it cannot be read."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            for entry in f.read().split(b"\0"):
                if entry.startswith(b"DBUS_SESSION_BUS_ADDRESS="):
                    return entry.split(b"=", 1)[1].decode(errors="replace")
    except OSError:
        pass
    return None


def _mine(pid):
    return _session(pid) == os.environ.get("DBUS_SESSION_BUS_ADDRESS")


def name(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return "?"


def _pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def of_binary(binary):
    """This session's running processes of `binary` (a window's, a tray's)."""
    real = os.path.realpath(binary)
    found = []
    for pid in _pids():
        try:
            if os.readlink(f"/proc/{pid}/exe") == real and _mine(pid):
                found.append(pid)
        except OSError:
            continue
    return found


def webkit(prefixes=WEBKIT):
    """This session's WebKit helper processes whose name starts with one of `prefixes`."""
    return [p for p in _pids() if name(p).startswith(prefixes) and _mine(p)]


def with_tray_arg(binary):
    """This session's processes of `binary` started with --tray."""
    found = []
    for pid in of_binary(binary):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if b"--tray" in f.read().split(b"\0"):
                    found.append(pid)
        except OSError:
            continue
    return found


def all_of(binary):
    """Every process of an app (`binary`'s and WebKit's) in this session."""
    return of_binary(binary) + webkit()
