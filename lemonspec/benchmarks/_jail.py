"""The inside of the HumanEval sandbox. Run as `python -I -S _jail.py CONFIG_JSON`; never imported.

sandbox.py starts this script in a new session with the program's source on stdin and two
extra pipes: a *verdict* pipe, where only the harness may write, and a *test* pipe, which
carries the tests and which only the harness reads. While it still holds the privileges to
do so, the script confines itself:

1. resource limits (CPU seconds, address space, file size, open files, processes, no core);
2. new namespaces: network (nothing to connect to), mount and pid;
3. a private root: a read-only tmpfs holding read-only binds of the standard library and
   the shared libraries it loads, a few device nodes, and a size-capped writable /tmp. The
   host's files (home directories, the project, benchmark data, site-packages) do not exist
   in it, and no /proc is mounted;
4. per child: an unprivileged uid of its own without capabilities, no_new_privs, a seccomp
   filter (libseccomp) that refuses new user namespaces, setns, ptrace and the other ways
   into another process, and death with its parent.

Two modes. "program" runs the source and prints "<nonce> passed" if it ran to its end: the
program's own account, good against mistakes, not against a program that wants to lie.
"humaneval" is the verdict no completion can forge: the completion runs in one process
(the *program*, uid P) which only answers calls; the tests run in another (the *harness*,
uid H), forked from this script before any untrusted code ran and before the tests were
read, so the program never holds them. The harness calls the candidate function over a
pair of pipes; arguments and results cross as plain data (JSON with tags for tuples, dicts,
sets, bytes, complex), so what the tests compare are the harness's own ints, strings and
lists, never an object of the program's making. Only the harness holds the verdict pipe
and writes "passed" there when check() returned. The program cannot signal, trace or read
the harness (another uid, seccomp), nor see it in /proc (there is none).

Stdlib only: the interpreter runs isolated without site (-I -S). The config says which
steps to take; sandbox.py probes once which ones this machine allows, and a step the
config asks for that fails here stops the run (exit SETUP_FAILED, the reason on the
verdict pipe).
"""

import contextlib
import ctypes
import errno as errnos
import json
import linecache
import os
import resource
import signal
import struct
import sys
import traceback

SETUP_FAILED = 97

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 0x1, 0x2, 0x4, 0x8
MS_REMOUNT, MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 0x20, 0x1000, 0x2000, 0x4000, 0x40000
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS = 1, 4, 38
LINUX_CAPABILITY_VERSION_3 = 0x20080522
PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}  # syscall numbers; glibc has no wrapper

NEW_ROOT = "/tmp"  # any existing directory will do: the root's tmpfs is mounted over it
WORKDIR = "/tmp/work"
DEVICES = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random")
# Site-packages directories inside the standard library's tree: hidden, not needed.
HIDDEN_IN_STDLIB = ("site-packages", "dist-packages")
FRAME_LIMIT = 64 << 20  # the largest message the harness reads from the program

libc = ctypes.CDLL(None, use_errno=True)


def checked(result, what):
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


# ---- confinement ----


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
    if config["user_ns"]:  # be root inside, mapped to the caller outside, to mount
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


def private_root(tmpfs_size, program_uid):
    """Build a minimal root in a tmpfs and switch to it; the host's tree stays behind."""
    visible = interpreter_dirs()
    libraries = library_dirs(visible)
    mount(None, "/", None, MS_REC | MS_PRIVATE, None)  # our mounts must not reach the host
    mount("tmpfs", NEW_ROOT, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,nr_inodes=1024,mode=0755")
    for path in visible + libraries:
        bind_read_only(path, NEW_ROOT + path)
    for path in visible:
        for name in HIDDEN_IN_STDLIB:
            if os.path.isdir(os.path.join(path, name)):
                mount("tmpfs", f"{NEW_ROOT}{path}/{name}", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV,
                      "size=4k,mode=0755")
    os.makedirs(NEW_ROOT + "/dev", 0o755)
    for device in DEVICES:
        if os.path.exists(device):
            open(NEW_ROOT + device, "w").close()
            mount(device, NEW_ROOT + device, None, MS_BIND, None)
    os.makedirs(NEW_ROOT + "/tmp", 0o755)
    mount("tmpfs", NEW_ROOT + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV,
          f"size={tmpfs_size},nr_inodes=4096,mode=1777")
    switch_root(NEW_ROOT)
    mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, None)
    os.mkdir(WORKDIR, 0o700)
    if program_uid is not None:
        os.chown(WORKDIR, program_uid, program_uid)


def interpreter_dirs():
    """The standard library: the directories on sys.path (no site-packages: we run -S)."""
    dirs = {os.path.realpath(p) for p in sys.path if p and os.path.isdir(p)}
    return sorted(p for p in dirs if not any(p.startswith(q + "/") for q in dirs))


def library_dirs(visible):
    """Where the shared libraries live: those already mapped (libc, libm, ...) and, for the
    extension modules not loaded yet (_ssl, _sqlite3, ...), the same directories."""
    dirs = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split(maxsplit=5)
            path = fields[5].strip() if len(fields) == 6 else ""
            if ".so" in path and path.startswith("/"):
                dirs.add(os.path.dirname(os.path.realpath(path)))
    dirs = {d for d in dirs if not any(d == v or d.startswith(v + "/") for v in visible)}
    return sorted(d for d in dirs if not any(d.startswith(q + "/") for q in dirs))


def bind_read_only(source, target):
    os.makedirs(target, 0o755, exist_ok=True)
    mount(source, target, None, MS_BIND | MS_REC, None)
    mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, None)


def switch_root(new_root):
    os.chdir(new_root)
    number = PIVOT_ROOT.get(os.uname().machine)
    if number is not None:  # the old root goes on top of the new one, then is detached
        checked(libc.syscall(number, b".", b"."), "pivot_root")
        checked(libc.umount2(b".", MNT_DETACH), "umount old root")
    else:  # what switch_root(8) does: move the new root over "/" and chroot into it
        mount(".", "/", None, MS_MOVE, None)
        os.chroot(".")
    os.chdir("/")


def load_seccomp():
    """libseccomp, loaded before the root changes. None when this machine has none."""
    for name in ("libseccomp.so.2", "libseccomp.so"):  # find_library runs ldconfig: slow
        with contextlib.suppress(OSError):
            lib = ctypes.CDLL(name, use_errno=True)
            break
    else:
        from ctypes.util import find_library  # slow (runs ldconfig): only if the names fail

        name = find_library("seccomp")
        if name is None:
            return None
        lib = ctypes.CDLL(name, use_errno=True)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int,
                                           ctypes.c_uint, ctypes.c_void_p]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    return lib


class ArgCmp(ctypes.Structure):  # struct scmp_arg_cmp
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int),
                ("datum_a", ctypes.c_uint64), ("datum_b", ctypes.c_uint64)]


SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_CMP_MASKED_EQ = 7
# Ways into another process or the kernel's less travelled paths; none is needed to run a
# HumanEval function. io_uring is refused because its operations bypass this filter.
REFUSED = ("ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp", "setns",
           "unshare", "mount", "umount2", "pivot_root", "chroot", "bpf", "perf_event_open",
           "userfaultfd", "keyctl", "add_key", "request_key", "io_uring_setup",
           "open_by_handle_at", "name_to_handle_at")


def install_seccomp(lib):
    """Refuse new user namespaces and the calls above with EPERM. clone3 passes its flags in
    memory a filter cannot read, so it gets ENOSYS and the C library falls back to clone,
    whose flags are checked. Syscalls of a foreign architecture kill the process (the
    library's default), so the x32/i386 entry points cannot go around the filter."""
    ctx = lib.seccomp_init(SCMP_ACT_ALLOW)
    if not ctx:
        raise OSError(errnos.EINVAL, "seccomp_init failed")
    try:
        def refuse(name, errno, *conditions):
            number = lib.seccomp_syscall_resolve_name(name.encode())
            if number < 0:
                return  # not a syscall on this architecture
            array = (ArgCmp * len(conditions))(*conditions) if conditions else None
            action = 0x00050000 | errno  # SCMP_ACT_ERRNO(errno)
            ok(lib.seccomp_rule_add_array(ctx, action, number, len(conditions), array), name)

        for name in REFUSED:
            refuse(name, errnos.EPERM)
        refuse("clone", errnos.EPERM, ArgCmp(0, SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER))
        refuse("clone3", errnos.ENOSYS)
        ok(lib.seccomp_load(ctx), "seccomp_load")
    finally:
        lib.seccomp_release(ctx)


def ok(result, what):
    """libseccomp returns 0 or a negated errno."""
    if result < 0:
        raise OSError(-result, f"seccomp {what}: {os.strerror(-result)}")


def drop_privileges(uid, seccomp):
    if uid is not None:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)  # from root to non-root: the kernel clears all capabilities
    else:
        drop_capabilities()  # root inside a user namespace: keep the uid, lose the powers
    checked(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    checked(libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "not dumpable")  # no same-uid ptrace
    if seccomp is not None:
        install_seccomp(seccomp)
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


def low_numbers(*fds):
    """The inherited pipes under new, low numbers: the caller may have had thousands of
    files open, and keep_only_fds closes only below the open-files limit set later."""
    moved = [os.dup(fd) for fd in fds]
    for fd in fds:
        os.close(fd)
    return moved


def keep_only_fds(*keep):
    """Close every descriptor but stdio and `keep`: a child holds only what it must."""
    low = 3
    for fd in sorted(keep):
        if fd > low:
            os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, resource.getrlimit(resource.RLIMIT_NOFILE)[0])


# ---- plain data across the boundary ----


def encode(value):
    """Plain data as JSON-able values: lists stay arrays, every other container is tagged.
    Instances of subclasses become their base type, so an object's own __eq__ never
    reaches the other side. Raises TypeError for anything else."""
    if value is None or type(value) is bool:  # bool cannot be subclassed
        return value
    if isinstance(value, int):
        return int.__int__(value)
    if isinstance(value, float):
        return float.__float__(value)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, list):
        return [encode(v) for v in list.__iter__(value)]
    if isinstance(value, tuple):
        return {"t": "tuple", "v": [encode(v) for v in tuple.__iter__(value)]}
    if isinstance(value, dict):
        return {"t": "dict", "v": [[encode(k), encode(v)] for k, v in dict.items(value)]}
    if isinstance(value, (set, frozenset)):
        tag = "set" if isinstance(value, set) else "frozenset"
        return {"t": tag, "v": [encode(v) for v in frozenset.__iter__(frozenset(value))]}
    if isinstance(value, (bytes, bytearray)):
        return {"t": "bytes", "v": bytes(value).hex()}
    if isinstance(value, complex):
        return {"t": "complex", "v": [value.real, value.imag]}
    raise TypeError(f"a {type(value).__name__}, which is not plain data")


def _tagged(obj):
    if len(obj) != 2 or "t" not in obj or "v" not in obj:
        raise ValueError("malformed value")
    tag, items = obj["t"], obj["v"]
    if tag == "bytes" and type(items) is str:
        return bytes.fromhex(items)
    if type(items) is not list:
        raise ValueError("malformed value")
    if tag == "tuple":
        return tuple(items)
    if tag == "set":
        return set(items)
    if tag == "frozenset":
        return frozenset(items)
    if tag == "dict" and all(type(p) is list and len(p) == 2 for p in items):
        return dict(items)
    if tag == "complex" and len(items) == 2 and all(type(x) in (int, float) for x in items):
        return complex(*items)
    raise ValueError("malformed value")


def decode(text):
    """The inverse of encode, building nothing but builtins (ValueError/TypeError if bad)."""
    return json.loads(text, object_hook=_tagged)


def send(fd, message):
    data = json.dumps(message, separators=(",", ":")).encode()
    data = struct.pack("<Q", len(data)) + data
    while data:
        data = data[os.write(fd, data):]


def receive(fd):
    """One message; None at end of stream."""
    header = read_exactly(fd, 8)
    if header is None:
        return None
    (size,) = struct.unpack("<Q", header)
    if size > FRAME_LIMIT:
        raise ValueError(f"a message of {size} bytes is too large")
    body = read_exactly(fd, size)
    if body is None:
        return None
    return decode(body)


def read_exactly(fd, size):
    chunks = bytearray()
    while len(chunks) < size:
        chunk = os.read(fd, min(size - len(chunks), 1 << 20))
        if not chunk:
            return None
        chunks += chunk
    return bytes(chunks)


def read_all(fd):
    chunks = []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", errors="surrogatepass")


# ---- the two sides of a HumanEval run ----


class CandidateError(Exception):
    """The candidate raised, returned something that is not plain data, or stopped answering."""


class Candidate:
    """The harness's stand-in for the completion's function: every call goes to the program."""

    def __init__(self, calls_fd, replies_fd, name):
        self._calls, self._replies, self.__name__ = calls_fd, replies_fd, name

    def __call__(self, *args, **kwargs):
        try:
            send(self._calls, ["call", encode(list(args)), encode(kwargs)])
        except BrokenPipeError:
            raise CandidateError("the program stopped answering (see its output)") from None
        reply = receive(self._replies)
        if reply is None:
            raise CandidateError("the program stopped answering (see its output)")
        if type(reply) is list and len(reply) == 2 and reply[0] == "ok":
            return reply[1]
        if type(reply) is list and len(reply) == 2 and reply[0] in ("raised", "unplain"):
            raise CandidateError(str(reply[1]))
        raise CandidateError("the program sent a malformed reply")


def harness(test_fd, calls_fd, replies_fd, verdict_fd):
    """Run the tests against the program's answers; write "passed" if check() returned."""
    spec = json.loads(read_all(test_fd))
    os.close(test_fd)
    entry_point = spec["entry_point"]
    candidate = Candidate(calls_fd, replies_fd, entry_point)
    namespace = {"__name__": "__harness__", "__builtins__": __builtins__}
    try:
        exec(prompt_code(spec["prompt"]), namespace)  # noqa: S102 - the prompt's helpers
        namespace[entry_point] = candidate  # some tests call the function by its name
        exec(compiled(spec["test"], "test.py"), namespace)  # noqa: S102 - trusted tests
        namespace["check"](candidate)
    except BaseException as error:  # noqa: BLE001 - any failure of the tests is no pass
        report(error)
        os._exit(1)
    os.write(verdict_fd, b"passed\n")
    os._exit(0)


def compiled(source, filename):
    """Compile, and let tracebacks show the lines without a file on disk."""
    code = compile(source, filename, "exec")
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    return code


def prompt_code(prompt):
    """The prompt as a module, for its imports and helpers (e.g. HumanEval/38's
    encode_cyclic). A HumanEval prompt ends in a docstring and compiles as it is; a prompt
    that ends in a bare signature gets a `pass` body."""
    try:
        return compiled(prompt, "prompt.py")
    except SyntaxError:
        return compiled(prompt.rstrip() + "\n    pass\n", "prompt.py")


def serve(source, calls_fd, replies_fd, entry_point):
    """Run the completion, then answer the harness's calls until it hangs up."""
    namespace = {"__name__": "__sandbox__", "__builtins__": __builtins__}
    try:
        exec(compiled(source, "program.py"), namespace)  # noqa: S102 - the whole point
    except BaseException as error:  # noqa: BLE001
        report(error)
        os._exit(1)
    function = namespace.get(entry_point)
    if not callable(function):
        sys.stderr.write(f"the program defines no function {entry_point}\n")
        flush(sys.stderr)
        os._exit(1)
    while (call := receive(calls_fd)) is not None:
        _, args, kwargs = call
        try:
            result = function(*args, **kwargs)
        except BaseException as error:  # noqa: BLE001 - reported, then the harness decides
            report(error)
            reply = ["raised", f"{entry_point} raised {type(error).__name__}: {error}"]
        else:
            try:
                reply = ["ok", encode(result)]
            except (TypeError, RecursionError) as error:
                reply = ["unplain", f"{entry_point} returned {error}"]
        flush(sys.stdout)
        send(replies_fd, reply)
    os._exit(0)


def report(error):
    """The traceback without this script's frames: they only say where the run was."""
    flush(sys.stdout)
    with contextlib.suppress(Exception):
        frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename != __file__]
        lines = ["Traceback (most recent call last):\n"] if frames else []
        lines += traceback.format_list(frames) + traceback.format_exception_only(type(error), error)
        sys.stderr.write("".join(lines))
    flush(sys.stderr)


def run(source, nonce):
    """Program mode: run the source; print the nonce only if it ran to its end."""
    namespace = {"__name__": "__sandbox__", "__builtins__": __builtins__}
    try:
        exec(compiled(source, "program.py"), namespace)  # noqa: S102 - the whole point
    except BaseException as error:  # noqa: BLE001 - SystemExit too: exiting early is no pass
        report(error)
        os._exit(1)
    else:  # not after the except block: a patched os._exit there must not fall through
        flush(sys.stdout)
        os.write(1, f"\n{nonce} passed\n".encode())
        os._exit(0)


def flush(stream):
    with contextlib.suppress(Exception):  # the program may have closed or replaced it
        stream.flush()


def stdin_from_null():
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)


# ---- processes ----


def exit_code(status):
    code = os.waitstatus_to_exitcode(status)
    return code if code >= 0 else 128 - code


def wait_and_exit(child):
    """Report the child's end as our own exit status (128 + N for signal N)."""
    _, status = os.waitpid(child, 0)
    os._exit(exit_code(status))


def setup_failed(verdict_fd, error):
    """Say why on the verdict pipe; the program's process, which has none, on stderr."""
    with contextlib.suppress(OSError):
        os.write(2 if verdict_fd is None else verdict_fd, f"setup-failed: {error}\n".encode())
    os._exit(SETUP_FAILED)


def child(config, uid, verdict_fd, work):
    """In a fresh fork: confine this process, then return to run its part."""
    try:
        if config["mount_ns"] and work:
            os.chdir(WORKDIR)
        drop_privileges(uid, SECCOMP if config["seccomp"] else None)
    except OSError as error:
        setup_failed(verdict_fd, error)


def end_all(pid_ns, program):
    """Everything of this run must die: in our pid namespace that is everyone but us."""
    with contextlib.suppress(OSError):
        os.kill(-1 if pid_ns else program, signal.SIGKILL)


def humaneval(config, source, verdict_fd, test_fd):
    calls = os.pipe()  # harness -> program
    replies = os.pipe()  # program -> harness
    program_uid, harness_uid = config["uids"] or (None, None)
    program = os.fork()
    if program == 0:  # forked before anyone read the tests
        keep_only_fds(calls[0], replies[1])
        child(config, program_uid, None, work=True)
        serve(source, calls[0], replies[1], config["entry_point"])
        raise SystemExit(1)  # only if the program patched os._exit: never into init's code
    harness_pid = os.fork()
    if harness_pid == 0:
        keep_only_fds(test_fd, calls[1], replies[0], verdict_fd)
        child(config, harness_uid, verdict_fd, work=False)
        harness(test_fd, calls[1], replies[0], verdict_fd)
    keep_only_fds()
    _, status = os.waitpid(harness_pid, 0)
    end_all(config["pid_ns"], program)
    os._exit(exit_code(status))


def program_mode(config, source, nonce):
    program_uid = (config["uids"] or (None,))[0]
    program = os.fork()
    if program == 0:
        keep_only_fds()
        child(config, program_uid, None, work=True)
        run(source, nonce)
        raise SystemExit(1)  # only if the program patched os._exit: never into init's code
    keep_only_fds()
    wait_and_exit(program)


def main():
    global SECCOMP
    config = json.loads(sys.argv[1])
    verdict_fd, test_fd = low_numbers(config["verdict_fd"], config["test_fd"])
    nonce, _, source = read_all(0).partition("\n")
    stdin_from_null()
    uids = config["uids"]
    SECCOMP = load_seccomp() if config["seccomp"] else None
    try:
        if config["seccomp"] and SECCOMP is None:
            raise OSError(errnos.ENOENT, "libseccomp is not installed")
        set_limits(config["limits"], drop_uid=uids is not None)
        enter_namespaces(config)
        if config["mount_ns"]:
            private_root(config["limits"]["tmpfs"], uids and uids[0])
    except Exception as error:  # noqa: BLE001 - our own setup: say why, stop the run
        setup_failed(verdict_fd, error)
    if config["pid_ns"]:
        become_init()
    if config["mode"] == "humaneval":
        humaneval(config, source, verdict_fd, test_fd)
    else:
        os.close(test_fd)
        program_mode(config, source, nonce)


def become_init():
    """Fork into the new pid namespace as its pid 1, a minimal init that forks the run's
    processes: an init ignores signals it has no handler for, a program should not."""
    outside = os.fork()
    if outside:
        keep_only_fds()
        wait_and_exit(outside)
    die_with_parent()


SECCOMP = None

if __name__ == "__main__":
    main()
