#!/usr/bin/python3
"""unitrun.py - run a systemd unit's Exec lines without systemd as PID 1.

    unitrun.py [--root DIR] [--mainpid PID] UNIT KEY

KEY is ExecStartPre, ExecStart or ExecReload: every line of that key in
UNIT's [Service] section is run in order, the last one (ExecStart: the only
one) by exec, so the caller's child is the service's main process.  A line
that fails ends the run with its status, unless it starts with "-".
$MAINPID in a line is --mainpid.

Each line runs as systemd would start it, as far as the kernel lets a
plain process do it (what is emulated is kernel-enforced, not imitated):
  chroot               --root DIR (a throwaway Debian root), with /proc
  ProtectSystem=strict the root read-only, in a private mount namespace
  ReadWritePaths=      those writable again ("-": skipped when absent)
  RuntimeDirectory=    /run/NAME created (root, 0755) and writable
  PrivateTmp=yes       an empty tmpfs on /tmp and /var/tmp
  PrivateDevices=yes   a tmpfs on /dev with null, zero, full, random,
                       urandom and tty only, and /dev/log: the socket
                       $UNITRUN_DEVLOG names (a test's syslog receiver),
                       else a link to journald's socket, as systemd makes
  UMask=               umask
  CapabilityBoundingSet=  every other capability dropped from the bounding
                       set (root keeps only these after exec)
  NoNewPrivileges=yes  PR_SET_NO_NEW_PRIVS
  SystemCallFilter=    a seccomp filter built from systemd's own group
                       lists (systemd-analyze syscall-filter); a call
                       outside it KILLS the process (systemd would answer
                       SystemCallErrorNumber=; killing shows every such
                       call instead of hiding it behind an error)
  RestrictAddressFamilies=  socket() of another family: EAFNOSUPPORT
  MemoryDenyWriteExecute=yes  mmap W+X, mprotect/pkey_mprotect +X: EPERM
  SystemCallArchitectures=native  (libseccomp's default)
A line prefixed "+" runs without any of it, as systemd does.  Not
emulated: ProtectKernel*, ProtectProc, RestrictNamespaces and the other
settings that only hide or forbid what relayguard does not use;
systemd-analyze security rates those.  Without --root the confinement
applies to this machine's root, in the private mount namespace.
"""
import ctypes
import errno
import os
import shlex
import subprocess
import sys

import seccomp

PR_SET_NO_NEW_PRIVS = 38
PR_CAPBSET_DROP = 24
CAP_LAST = 40
CAP_NAMES = [
    "chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill",
    "setgid", "setuid", "setpcap", "linux_immutable", "net_bind_service",
    "net_broadcast", "net_admin", "net_raw", "ipc_lock", "ipc_owner",
    "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct",
    "sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time",
    "sys_tty_config", "mknod", "lease", "audit_write", "audit_control",
    "setfcap", "mac_override", "mac_admin", "syslog", "wake_alarm",
    "block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
]
FAMILIES = {"AF_UNIX": 1, "AF_LOCAL": 1, "AF_INET": 2, "AF_INET6": 10,
            "AF_NETLINK": 16, "AF_PACKET": 17}
PROT_WRITE = 2
PROT_EXEC = 4


def die(msg):
    print("unitrun: " + msg, file=sys.stderr)
    sys.exit(2)


def parse_unit(path):
    """the [Service] section as {key: [values in order]}"""
    svc = {}
    section = None
    with open(path) as f:
        lines = f.read().replace("\\\n", " ").splitlines()
    for line in lines:
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line
            continue
        if section != "[Service]" or "=" not in line:
            continue
        k, v = line.split("=", 1)
        svc.setdefault(k.strip(), []).append(v.strip())
    return svc


def syscall_groups():
    """systemd's syscall groups: {"@name": [members]}"""
    out = subprocess.run(["systemd-analyze", "syscall-filter", "--no-pager"],
                         capture_output=True, text=True, check=True).stdout
    groups = {}
    cur = None
    for line in out.splitlines():
        if line.startswith("@"):
            cur = groups.setdefault(line.strip(), [])
        elif line.startswith("    ") and cur is not None:
            name = line.strip()
            if name and not name.startswith("#"):
                cur.append(name)
        elif not line.strip():
            cur = None
    return groups


def expand(names, groups, seen=None):
    seen = set() if seen is None else seen
    out = set()
    for n in names:
        if n.startswith("@"):
            if n in seen:
                continue
            seen.add(n)
            if n not in groups:
                die("unknown syscall group " + n)
            out |= expand(groups[n], groups, seen)
        else:
            out.add(n)
    return out


def allowed_syscalls(svc):
    """the allow list SystemCallFilter= lines give, in systemd's order:
    the first line sets the kind; later lines add (allow) or remove (~)"""
    lines = svc.get("SystemCallFilter", [])
    if not lines:
        return None
    if lines[0].startswith("~"):
        die("a deny-list SystemCallFilter is not emulated")
    groups = syscall_groups()
    allowed = set()
    for line in lines:
        deny = line.startswith("~")
        names = set(expand(line.lstrip("~").split(), groups))
        if deny:
            allowed -= names
        else:
            allowed |= names
    # always allowed by systemd (systemd.exec(5)): what exec needs
    allowed |= expand(["@default"], groups)
    return allowed


def build_filter(svc):
    """the seccomp filter of the unit (None: no SystemCallFilter), built
    before chroot: systemd-analyze runs on this machine"""
    allowed = allowed_syscalls(svc)
    if allowed is None:
        return None
    f = seccomp.SyscallFilter(defaction=seccomp.KILL_PROCESS)
    families = None
    if "RestrictAddressFamilies" in svc:
        families = set()
        for line in svc["RestrictAddressFamilies"]:
            for fam in line.split():
                if fam not in FAMILIES:
                    die("address family %s not known here" % fam)
                families.add(FAMILIES[fam])
    mdwe = svc.get("MemoryDenyWriteExecute", ["no"])[-1] == "yes"
    special = set()
    if families is not None:
        special.add("socket")
    if mdwe:
        special |= {"mmap", "mprotect", "pkey_mprotect"}
    for name in sorted(allowed - special):
        try:
            f.add_rule(seccomp.ALLOW, name)
        except (RuntimeError, ValueError, OSError):
            pass		# not a system call of this architecture
    if families is not None and "socket" in allowed:
        for fam in range(0, 64):
            act = (seccomp.ALLOW if fam in families
                   else seccomp.ERRNO(errno.EAFNOSUPPORT))
            f.add_rule(act, "socket", seccomp.Arg(0, seccomp.EQ, fam))
    if mdwe:
        wx = PROT_WRITE | PROT_EXEC
        f.add_rule(seccomp.ERRNO(errno.EPERM), "mmap",
                   seccomp.Arg(2, seccomp.MASKED_EQ, wx, wx))
        f.add_rule(seccomp.ALLOW, "mmap",
                   seccomp.Arg(2, seccomp.MASKED_EQ, wx, 0))
        f.add_rule(seccomp.ALLOW, "mmap",
                   seccomp.Arg(2, seccomp.MASKED_EQ, wx, PROT_WRITE))
        f.add_rule(seccomp.ALLOW, "mmap",
                   seccomp.Arg(2, seccomp.MASKED_EQ, wx, PROT_EXEC))
        for name in ("mprotect", "pkey_mprotect"):
            f.add_rule(seccomp.ERRNO(errno.EPERM), name,
                       seccomp.Arg(2, seccomp.MASKED_EQ, PROT_EXEC,
                                   PROT_EXEC))
            f.add_rule(seccomp.ALLOW, name,
                       seccomp.Arg(2, seccomp.MASKED_EQ, PROT_EXEC, 0))
    return f


def mount(*args):
    subprocess.run(["mount"] + list(args), check=True)


DEVICES = ("null", "zero", "full", "random", "urandom", "tty")


def mount_fd(fd, target):
    """bind what fd (O_PATH) refers to onto target: the name may be hidden
    by now (a tmpfs on /tmp or /dev), the descriptor still reaches it"""
    subprocess.run(["mount", "--no-canonicalize", "--bind",
                    "/proc/self/fd/%d" % fd, target],
                   check=True, pass_fds=(fd,))
    os.close(fd)


def private_devices(root, devfd, logfd):
    """PrivateDevices=yes: a tmpfs on ROOT/dev with the harmless devices
    of this machine's /dev and /dev/log"""
    mount("-t", "tmpfs", "-o", "mode=755,nosuid", "tmpfs", root + "/dev")
    for d in DEVICES:
        open(root + "/dev/" + d, "w").close()
        fd = os.open(d, os.O_PATH, dir_fd=devfd)
        mount_fd(fd, root + "/dev/" + d)
    os.close(devfd)
    if logfd is not None:
        open(root + "/dev/log", "w").close()
        mount_fd(logfd, root + "/dev/log")
    else:
        os.symlink("/run/systemd/journal/dev-log", root + "/dev/log")


def setup_root(svc, root):
    """the private mount namespace: see the module comment"""
    runtime = [d for line in svc.get("RuntimeDirectory", [])
               for d in line.split()]
    mount("--make-rprivate", "/")
    if not root:
        # this machine's root: only the tmpfs mounts, nothing is made
        # (the caller's configuration names its own run directory)
        private_tmp_and_dev(svc, "")
        return
    for d in runtime:
        p = os.path.join(root, "run", d)
        os.makedirs(p, exist_ok=True)
        os.chmod(p, 0o755)
    mount("--bind", root, root)
    if not os.path.ismount(os.path.join(root, "proc")):
        mount("-t", "proc", "proc", os.path.join(root, "proc"))
    strict = svc.get("ProtectSystem", ["no"])[-1] == "strict"
    rw = ["/run/" + d for d in runtime]
    for line in svc.get("ReadWritePaths", []):
        rw += line.split()
    if strict:
        mount("-o", "remount,bind,ro", root)
        for p in rw:
            optional = p.startswith("-")
            p = p.lstrip("-")
            full = root + p
            if not os.path.exists(full):
                if optional:
                    continue
                die("ReadWritePaths: %s does not exist (systemd: "
                    "226/NAMESPACE)" % p)
            mount("--bind", full, full)
            mount("-o", "remount,bind,rw", full)
    private_tmp_and_dev(svc, root)


def private_tmp_and_dev(svc, root):
    """PrivateTmp= and PrivateDevices= below root ("": this machine's)"""
    devices = svc.get("PrivateDevices", ["no"])[-1] == "yes"
    devfd = logfd = None
    if devices:
        # before any tmpfs hides them
        devfd = os.open("/dev", os.O_PATH | os.O_DIRECTORY)
        if os.environ.get("UNITRUN_DEVLOG"):
            logfd = os.open(os.environ["UNITRUN_DEVLOG"], os.O_PATH)
    if svc.get("PrivateTmp", ["no"])[-1] == "yes":
        for t in ("/tmp", "/var/tmp"):
            if os.path.isdir(root + t):
                mount("-t", "tmpfs", "-o", "mode=1777", "tmpfs", root + t)
    if devices:
        private_devices(root, devfd, logfd)


LIBC = ctypes.CDLL(None, use_errno=True)


def drop_capabilities(svc):
    libc = LIBC
    lines = svc.get("CapabilityBoundingSet")
    if lines:
        keep = set()
        for line in lines:
            for c in line.split():
                name = c.lower()
                if name.startswith("cap_"):
                    name = name[4:]
                if name not in CAP_NAMES:
                    die("unknown capability " + c)
                keep.add(CAP_NAMES.index(name))
        for cap in range(CAP_LAST + 1):
            if cap not in keep and libc.prctl(PR_CAPBSET_DROP, cap, 0, 0,
                                              0) != 0:
                e = ctypes.get_errno()
                if e != errno.EINVAL:	# not known to this kernel
                    die("PR_CAPBSET_DROP %d: %s" % (cap, os.strerror(e)))
    if svc.get("NoNewPrivileges", ["no"])[-1] == "yes":
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            die("PR_SET_NO_NEW_PRIVS failed")


def sandboxed_exec(svc, root, argv):
    """in a child of a fresh mount namespace: confine, then exec argv"""
    f = build_filter(svc)
    if root:
        os.chroot(root)
        os.chdir("/")
    if "UMask" in svc:
        os.umask(int(svc["UMask"][-1], 8))
    drop_capabilities(svc)
    if f is not None:
        f.load()
    os.execv(argv[0], argv)


def main():
    args = sys.argv[1:]
    root = None
    mainpid = None
    while args and args[0].startswith("--"):
        if args[0] == "--root":
            root = os.path.abspath(args[1])
        elif args[0] == "--mainpid":
            mainpid = args[1]
        elif args[0] == "--inner":
            pass
        else:
            die("unknown option " + args[0])
        inner = args[0] == "--inner"
        args = args[2:] if not inner else args[1:]
    if len(args) != 2:
        die("usage: unitrun.py [--root DIR] [--mainpid PID] UNIT KEY")
    unit, key = args
    svc = parse_unit(unit)
    if key not in svc:
        die("%s has no %s" % (unit, key))
    if "--inner" not in sys.argv:
        # a private mount namespace for everything below (unshare(1)
        # execs us again inside it)
        os.execvp("unshare", ["unshare", "-m", "--propagation", "private",
                              sys.executable, os.path.abspath(__file__),
                              "--inner"] + sys.argv[1:])
    setup_root(svc, root)
    lines = svc[key]
    for i, line in enumerate(lines):
        plain = line.lstrip("-+@!:")
        prefix = line[:len(line) - len(plain)]
        if mainpid is not None:
            plain = plain.replace("$MAINPID", mainpid)
        argv = shlex.split(plain)
        last = i == len(lines) - 1
        if "+" in prefix:
            # full privileges: no sandbox, but the same root
            def run(argv=argv):
                if root:
                    os.chroot(root)
                    os.chdir("/")
                os.execv(argv[0], argv)
        else:
            def run(argv=argv):
                sandboxed_exec(svc, root, argv)
        if last:
            run()
        pid = os.fork()
        if pid == 0:
            try:
                run()
            finally:
                os._exit(127)
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        if code != 0 and "-" not in prefix:
            if code < 0:
                print("unitrun: %s killed by signal %d%s" %
                      (argv[0], -code, " (a system call outside "
                       "SystemCallFilter)" if -code == 31 else ""),
                      file=sys.stderr)
            sys.exit(code if code > 0 else 128 - code)


if __name__ == "__main__":
    main()
