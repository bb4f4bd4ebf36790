"""The inside of the HumanEval sandbox. Run as `python -I _jail.py CONFIG_JSON`; never imported.

sandbox.py starts this script in a new session, in a throwaway working directory, and writes
a nonce line followed by the program's source to its stdin. The script confines itself, in
this order, while it still holds the privileges to do so:

1. resource limits (CPU seconds, address space, file size, open files, processes, no core);
2. new namespaces: network (nothing to connect to), mount (private size-capped tmpfs over
   every world-writable directory, so nothing written there outlives the run) and pid (the
   program cannot see or signal anything outside, and everything it spawns dies with it);
3. an unprivileged uid without capabilities, no_new_privs, and death with its parent.

It then runs the program and prints "<nonce> passed" only if the program ran to its end. A
program that calls sys.exit() or os._exit() early therefore fails, as it should.

Stdlib only: the interpreter runs isolated (-I), and the package is not importable from here.
The config says which steps to take; sandbox.py probes once which ones this machine allows,
and a step the config asks for that fails here stops the run (exit SETUP_FAILED).
"""

import contextlib
import ctypes
import json
import os
import resource
import signal
import sys
import traceback

SETUP_FAILED = 97

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 0x1, 0x2, 0x4, 0x8
MS_REMOUNT, MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 0x20, 0x1000, 0x2000, 0x4000, 0x40000
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38
LINUX_CAPABILITY_VERSION_3 = 0x20080522

# The places an unprivileged user can write to on a usual Linux system.
WORLD_WRITABLE = ("/tmp", "/var/tmp", "/run/lock", "/dev/shm")
WORKDIR = "/tmp/work"

libc = ctypes.CDLL(None, use_errno=True)


def checked(result, what):
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def set_limits(limits, drop_uid):
    cpu = limits["cpu_seconds"]
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_AS, (limits["memory"],) * 2)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file_size"],) * 2)
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits["open_files"],) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if drop_uid:  # counted per uid: without a uid of its own it would count the user's processes
        resource.setrlimit(resource.RLIMIT_NPROC, (limits["processes"],) * 2)


def enter_namespaces(config):
    flags = CLONE_NEWNET if config["net_ns"] else 0
    flags |= (CLONE_NEWNS if config["mount_ns"] else 0) | (CLONE_NEWPID if config["pid_ns"] else 0)
    if not flags:
        return
    uid, gid = os.getuid(), os.getgid()
    if config["user_ns"]:
        flags |= CLONE_NEWUSER
    checked(libc.unshare(flags), "unshare")
    if config["user_ns"]:  # be root inside, mapped to the caller outside, to mount the tmpfs
        write("/proc/self/setgroups", "deny")
        write("/proc/self/uid_map", f"0 {uid} 1")
        write("/proc/self/gid_map", f"0 {gid} 1")


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def mount(source, target, fstype, flags, data):
    args = (c_string(source), c_string(target), c_string(fstype), flags, c_string(data))
    checked(libc.mount(*args), f"mount {target}")


def c_string(text):
    return None if text is None else text.encode()


def private_tmp(tmpfs_size):
    """Hide every world-writable directory behind a private tmpfs; work in a fresh one."""
    mount(None, "/", None, MS_REC | MS_PRIVATE, None)  # our mounts must not reach the host
    for path in WORLD_WRITABLE:
        if os.path.isdir(path) and not os.path.islink(path):
            options = f"size={tmpfs_size},nr_inodes=4096,mode=1777"
            mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, options)
    os.mkdir(WORKDIR, 0o700)
    os.chdir(WORKDIR)
    expose_interpreter()


def expose_interpreter():
    """Let the unprivileged uid import the standard library even when the interpreter lives
    in a private home (e.g. /root/.pyenv, /root being 0700). Each blocked ancestor is hidden
    behind a private tmpfs that holds nothing but read-only binds of the interpreter's paths,
    so the rest of that home stays out of reach."""
    paths = [p for p in sys.path if os.path.isdir(p) and blocked_ancestor(p)]
    paths = [p for p in paths if not any(p != q and p.startswith(q + "/") for q in paths)]
    stashes = []
    for i, path in enumerate(paths):  # bind first: the tmpfs below will hide the originals
        stash = os.path.join(WORKDIR, f".interpreter-{i}")
        os.mkdir(stash)
        mount(path, stash, None, MS_BIND | MS_REC, None)
        stashes.append(stash)
    for top in sorted({blocked_ancestor(p) for p in paths}):
        mount("tmpfs", top, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
    for path, stash in zip(paths, stashes):
        os.makedirs(path, 0o755, exist_ok=True)
        mount(stash, path, None, MS_MOVE, None)
        mount(None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC, None)
        os.rmdir(stash)


def blocked_ancestor(path):
    """The topmost directory on the way to `path` that others may not enter or list."""
    parts = os.path.abspath(path).split("/")[1:]
    for depth in range(1, len(parts) + 1):
        prefix = "/" + "/".join(parts[:depth])
        if os.stat(prefix).st_mode & 0o005 != 0o005:
            return prefix
    return None


def mount_proc():
    """Best effort: a /proc that shows only this pid namespace. Some containers refuse it."""
    with contextlib.suppress(OSError):
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)


def drop_privileges(uid):
    if uid is not None:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)  # from root to non-root: the kernel clears all capabilities
    else:
        drop_capabilities()  # root inside a user namespace: keep the uid, lose the powers
    checked(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    die_with_parent()  # last: changing credentials clears it


def die_with_parent():
    checked(libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "pdeathsig")


def drop_capabilities():
    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [(name, ctypes.c_uint32) for name in ("effective", "permitted", "inheritable")]

    header = Header(LINUX_CAPABILITY_VERSION_3, 0)
    checked(libc.capset(ctypes.byref(header), (Data * 2)()), "capset")


def run(source, nonce):
    """Run the program; the nonce is printed only if it ran to its end.

    This guards against programs that exit early by mistake (or learn to, under RL), not
    against one that digs the nonce out of this frame: that would take deliberate effort.
    """
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    with open("program.py", "w") as f:  # so that tracebacks can show the lines
        f.write(source)
    namespace = {"__name__": "__sandbox__", "__builtins__": __builtins__}
    try:
        exec(compile(source, "program.py", "exec"), namespace)  # noqa: S102 - the whole point
    except BaseException as error:  # noqa: BLE001 - SystemExit too: exiting early is no pass
        flush(sys.stdout)
        traceback.print_exception(type(error), error, error.__traceback__.tb_next)  # not our frame
        flush(sys.stderr)
        os._exit(1)
    flush(sys.stdout)
    os.write(1, f"\n{nonce} passed\n".encode())
    os._exit(0)


def flush(stream):
    with contextlib.suppress(Exception):  # the program may have closed or replaced it
        stream.flush()


def wait_and_exit(child):
    """Report the child's end as our own exit status (128 + N for signal N)."""
    _, status = os.waitpid(child, 0)
    code = os.waitstatus_to_exitcode(status)
    os._exit(code if code >= 0 else 128 - code)


def setup_failed(nonce, error):
    print(f"{nonce} setup-failed: {error}", flush=True)
    os._exit(SETUP_FAILED)


def main():
    config = json.loads(sys.argv[1])
    nonce, _, source = sys.stdin.read().partition("\n")
    uid = config["uid"]
    try:
        set_limits(config["limits"], drop_uid=uid is not None)
        enter_namespaces(config)
        if config["mount_ns"]:
            private_tmp(config["limits"]["tmpfs"])
        if uid is not None:
            os.chown(".", uid, uid)
    except OSError as error:
        setup_failed(nonce, error)
    if config["pid_ns"]:
        become_init(config["mount_ns"])
    try:
        drop_privileges(uid)
    except OSError as error:
        setup_failed(nonce, error)
    run(source, nonce)


def become_init(fresh_proc):
    """Fork into the new pid namespace as its pid 1, a minimal init, and fork the program's
    process under it: an init ignores signals it has no handler for, a program should not."""
    outside = os.fork()
    if outside:
        wait_and_exit(outside)
    die_with_parent()
    if fresh_proc:
        mount_proc()
    program = os.fork()
    if program:
        wait_and_exit(program)


if __name__ == "__main__":
    main()
