"""The grading sandbox (沙箱): a student's kernel runs where it can harm nothing.

``crmlab grade`` starts each submission's Jupyter kernel inside bubblewrap (``bwrap``,
https://github.com/containers/bubblewrap, Debian package ``bubblewrap``), the unprivileged
sandbox Flatpak uses:

* the file system is read-only, and holds only the system folders, the Python environment,
  crmlab's package and its datasets; the only writable folder is the submission's own
  temporary folder (its working directory and home);
* no network (``--unshare-net``), its own PID namespace (``--unshare-pid``): when the kernel
  stops, every process it started is killed with it, and it cannot see the grader's
  processes or command line (``/proc`` is its own);
* an unprivileged uid of its own (one per submission when the grader runs as root), a
  cleared environment holding only what the kernel needs (:func:`kernel_environment`);
* limits (``prlimit``): address space (memory), processes, size of one written file, no core
  dumps; where the grader runs as root with the ``memory`` and ``pids`` control-group
  controllers, also the memory and processes of the whole sandbox (:class:`ControlGroup`);
  the grader adds a wall-clock timeout and a cap on the output it collects.

The kernel talks to the grader over Unix sockets in the temporary folder (ZeroMQ's ``ipc``
transport), so it needs no network at all. What the sandbox does not protect: CPU time shared
with the other worker until the timeout; the number of files written in the temporary folder
(each one is size-limited); and whatever the student's code prints into its own notebook.
``--sandbox none`` runs kernels with the same cleared environment and limits but with the
grader's rights: use it only for submissions you trust.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = [
    "Limits",
    "SandboxError",
    "ControlGroup",
    "bwrap_problem",
    "choose",
    "kernel_environment",
    "wrap_command",
    "SandboxKernelManager",
]

#: The first uid given to sandboxes when the grader runs as root (one uid per submission, so the
#: process limit of one submission never counts the processes of another).
FIRST_UID = 200_000

#: Variables that keep numeric libraries to one thread, so two workers do not oversubscribe the cores.
ONE_THREAD = (
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)


class SandboxError(RuntimeError):
    """The sandbox asked for cannot be used (the message says why and what to do)."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one submission's kernel.

    Parameters
    ----------
    memory_bytes : address space of each process (``RLIMIT_AS``).
    processes : processes and threads of the sandbox's uid (``RLIMIT_NPROC``; bwrap only).
    file_bytes : size of any one file written (``RLIMIT_FSIZE``).
    output_bytes : notebook output the grader keeps (the rest is dropped and the status says so).
    """

    memory_bytes: int = 3 * 1024**3
    processes: int = 256
    file_bytes: int = 64 * 1024**2
    output_bytes: int = 2 * 1024**2


def _package_root() -> Path:
    import crmlab

    return Path(crmlab.__file__).resolve().parent


def _data_dir() -> Path | None:
    """The folder of shipped tables the grader reads (the kernel must read the same)."""
    from crmlab import datasets

    if hasattr(datasets, "data_root"):
        root = Path(str(datasets.data_root()[0]))
    else:  # an older crmlab: the checkout's datasets/ folder
        root = Path(os.environ.get("CRMLAB_DATA_DIR") or _package_root().parent / "datasets")
    return root.resolve() if root.is_dir() else None


def kernel_environment(workdir: str | Path, student_id: str, answers_file: str | Path) -> dict[str, str]:
    """The whole environment of a graded kernel: nothing of the grader's leaks in.

    Parameters
    ----------
    workdir : the submission's temporary folder (home, working and temporary directory).
    student_id : the submission's id (``CRMLAB_STUDENT_ID``).
    answers_file : where check cells hand out their answers (``CRMLAB_ANSWERS``).

    Returns
    -------
    dict of str to str

    Examples
    --------
    >>> env = kernel_environment("/tmp/g", "s001", "/tmp/g/answers.jsonl")
    >>> env["CRMLAB_STUDENT_ID"], env["HOME"], env["OPENBLAS_NUM_THREADS"], "PWD" in env
    ('s001', '/tmp/g', '1', False)
    """
    from crmlab.checks import ENV_STUDENT_ID
    from crmlab.checks._runner import ENV_ANSWERS

    workdir = str(workdir)
    env = {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": workdir,
        "TMPDIR": workdir,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONPATH": str(_package_root().parent),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": os.path.join(workdir, ".config", "matplotlib"),
        "IPYTHONDIR": os.path.join(workdir, ".ipython"),
        "JUPYTER_CONFIG_DIR": os.path.join(workdir, ".jupyter"),
        "JUPYTER_DATA_DIR": os.path.join(workdir, ".local", "share", "jupyter"),
        "JUPYTER_RUNTIME_DIR": os.path.join(workdir, ".local", "share", "jupyter", "runtime"),
        "JUPYTER_PLATFORM_DIRS": "1",
        ENV_STUDENT_ID: student_id,
        ENV_ANSWERS: str(answers_file),
    }
    env.update({name: "1" for name in ONE_THREAD})
    data = _data_dir()
    if data is not None:
        env["CRMLAB_DATA_DIR"] = str(data)
    return env


@lru_cache(maxsize=1)
def bwrap_problem() -> str | None:
    """Why bubblewrap cannot be used here, or ``None`` when it works (tried once per process)."""
    exe = shutil.which("bwrap")
    if exe is None:
        return "bwrap is not installed (Debian/Ubuntu: sudo apt install bubblewrap)"
    cmd = wrap_command(["/bin/true"], workdir=None, limits=Limits(), uid=uid_for(-1))
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=30, env={"PATH": "/usr/bin:/bin"})
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap could not start ({exc})"
    if proc.returncode != 0:
        return f"bwrap does not work here: {(proc.stderr or proc.stdout).strip()[:200] or proc.returncode}"
    return None


def choose(mode: str) -> tuple[bool, str]:
    """Resolve ``--sandbox auto|bwrap|none`` to (use bwrap?, a note for the status; empty when sandboxed).

    Raises
    ------
    SandboxError
        for ``bwrap`` when bubblewrap does not work, or an unknown mode.
    """
    if mode not in ("auto", "bwrap", "none"):
        raise SandboxError(f"--sandbox must be auto, bwrap or none, got {mode!r}")
    if mode == "none":
        return False, "not sandboxed (--sandbox none)"
    problem = bwrap_problem()
    if problem is None:
        return True, ""
    if mode == "bwrap":
        raise SandboxError(
            f"--sandbox bwrap asked for, but {problem}. Install bubblewrap, or grade "
            f"trusted notebooks with --sandbox none."
        )
    return False, f"NOT SANDBOXED: {problem}"


def _readonly_binds() -> list[str]:
    """bwrap arguments: the system, the Python environment, crmlab and its datasets, read-only."""
    args: list[str] = []
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    args += ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
    paths = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    paths.add(str(Path(sys.executable).parent.parent))
    paths.add(str(_package_root()))
    data = _data_dir()
    if data is not None:
        paths.add(str(data))
    for p in sorted(paths):
        if p.startswith(("/usr/", "/etc/")) or p in ("/usr", "/etc", "/"):
            continue
        args += _parents(p) + ["--ro-bind-try", p, p]
    return args


def _parents(path: str | Path) -> list[str]:
    """bwrap arguments creating the folders above ``path`` traversable (bwrap makes them 0700)."""
    args: list[str] = []
    for parent in reversed(Path(path).parents):
        if str(parent) != "/":
            args += ["--perms", "0755", "--dir", str(parent)]
    return args


def wrap_command(
    argv: list[str], *, workdir: str | Path | None, limits: Limits, uid: int | None, sandbox: bool = True
) -> list[str]:
    """The command that runs ``argv`` in the sandbox (``sandbox=False``: only with the limits).

    ``uid`` is the unprivileged uid to run as (only when the grader is root; ``None`` keeps the
    grader's own uid, which bwrap then maps into a user namespace without privileges).

    Examples
    --------
    >>> cmd = wrap_command(["python3"], workdir="/tmp/g", limits=Limits(), uid=200001)
    >>> cmd[0], "--unshare-net" in cmd, "--die-with-parent" in cmd, cmd[-3:]
    ('prlimit', True, True, ['--bounding-set=-all', '--', 'python3'])
    >>> wrap_command(["python3"], workdir="/tmp/g", limits=Limits(), uid=None, sandbox=False)[-2:]
    ['--', 'python3']
    """
    limit = ["prlimit", f"--as={limits.memory_bytes}", f"--fsize={limits.file_bytes}", "--core=0"]
    if not sandbox:  # without prlimit (util-linux) an unsandboxed kernel runs without limits too
        return limit + ["--", *argv] if shutil.which("prlimit") else list(argv)
    # RLIMIT_NPROC counts every process of the real uid: a sandbox's own uid (root grader) starts
    # at none; the grader's own uid (an ordinary user) already has its session's processes
    nproc = limits.processes if uid is not None else _processes_of(os.getuid()) + limits.processes
    limit.insert(1, f"--nproc={nproc}")
    cmd = limit + ["--", "bwrap"]
    if uid is None:  # an ordinary user: bwrap maps the user into a namespace without privileges
        cmd += ["--unshare-all"]
    else:  # root: bwrap mounts as root, then the kernel drops to its own uid with no capabilities
        cmd += [
            "--unshare-ipc",
            "--unshare-pid",
            "--unshare-net",
            "--unshare-uts",
            "--unshare-cgroup-try",
            "--cap-add",
            "CAP_SETUID",
            "--cap-add",
            "CAP_SETGID",
        ]
    cmd += ["--die-with-parent", "--new-session", "--clearenv", *_readonly_binds(), "--dev", "/dev", "--proc", "/proc"]
    if workdir is not None:
        cmd += _parents(workdir) + ["--bind", str(workdir), str(workdir), "--chdir", str(workdir)]
    cmd += ["--remount-ro", "/", "--"]
    if uid is not None:
        cmd += [
            "setpriv",
            f"--reuid={uid}",
            f"--regid={uid}",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "--",
        ]
    return cmd + list(argv)


def _processes_of(uid: int) -> int:
    """How many processes (and threads) ``uid`` runs now, read from /proc (0 where there is none)."""
    count = 0
    proc = Path("/proc")
    if not proc.is_dir():
        return 0
    for entry in proc.iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            if fields.get("Uid", "").split()[:1] == [str(uid)]:
                count += int(fields.get("Threads", "1").strip() or 1)
    return count


def _make_kernel_manager_class():
    from jupyter_client.manager import AsyncKernelManager

    class _SandboxKernelManager(AsyncKernelManager):
        """A kernel manager that starts its kernel through :func:`wrap_command`."""

        sandbox_settings: dict = {}

        def format_kernel_cmd(self, extra_arguments=None):
            argv = super().format_kernel_cmd(extra_arguments)
            s = self.sandbox_settings
            if s.get("uid") is not None and self.connection_file and os.path.exists(self.connection_file):
                os.chown(self.connection_file, s["uid"], s["uid"])  # the kernel must read its ports and key
            cmd = wrap_command(argv, workdir=s["workdir"], limits=s["limits"], uid=s.get("uid"), sandbox=s["sandbox"])
            if s.get("cgroup") is not None:
                cmd = s["cgroup"].command(cmd)
            if s["sandbox"]:  # bwrap starts with an empty environment: set what the kernel needs
                env_args = []
                for key, value in s["env"].items():
                    env_args += ["--setenv", key, value]
                at = cmd.index("--clearenv") + 1
                cmd[at:at] = env_args
            return cmd

    return _SandboxKernelManager


def SandboxKernelManager(
    *,
    workdir: str | Path,
    env: dict,
    limits: Limits,
    sandbox: bool,
    uid: int | None,
    cgroup: "ControlGroup | None" = None,
):
    """A jupyter kernel manager whose kernel runs in the sandbox (or only with limits).

    With the sandbox, the kernel listens on Unix sockets in ``workdir`` (it has no network).
    """
    cls = _make_kernel_manager_class()
    workdir = str(workdir)
    kw = {"kernel_name": "python3", "connection_file": os.path.join(workdir, "kernel.json")}
    if sandbox:
        kw.update(transport="ipc", ip=os.path.join(workdir, "kernel"))
    km = cls(**kw)
    km.sandbox_settings = {
        "workdir": workdir,
        "env": dict(env),
        "limits": limits,
        "sandbox": sandbox,
        "uid": uid,
        "cgroup": cgroup,
    }
    return km


def uid_for(index: int) -> int | None:
    """The sandbox uid of the ``index``-th submission when the grader is root, else ``None``."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return FIRST_UID + index
    return None


# --------------------------------------------------------------------------------------
# Control groups: the memory and processes of a whole sandbox, not only of each process
# --------------------------------------------------------------------------------------
_CGROUP_ROOT = Path("/sys/fs/cgroup")


class ControlGroup:
    """Memory and process limits for everything a sandbox runs, where the grader may set them.

    Per-process limits (``prlimit``) leave a gap: many processes, each under the memory
    limit, together over it. When the grader runs as root on Linux with the ``memory`` and
    ``pids`` controllers (cgroup v1 or v2), each sandbox gets a control group of its own whose
    total memory is ``limits.memory_bytes`` and whose processes are ``limits.processes``.
    Elsewhere :attr:`paths` is empty and only the per-process limits apply.
    """

    def __init__(self, name: str, limits: Limits):
        self.paths: list[Path] = []
        if not (hasattr(os, "geteuid") and os.geteuid() == 0):
            return
        try:
            self.paths = self._create(name, limits)
        except OSError:
            self.remove()
            self.paths = []

    def _create(self, name: str, limits: Limits) -> list[Path]:
        v2 = _CGROUP_ROOT / "cgroup.controllers"
        if v2.is_file() and {"memory", "pids"} <= set(v2.read_text().split()):
            parent = _CGROUP_ROOT / "crmlab-grading"
            parent.mkdir(exist_ok=True)
            (_CGROUP_ROOT / "cgroup.subtree_control").write_text("+memory +pids")
            (parent / "cgroup.subtree_control").write_text("+memory +pids")
            group = parent / name
            group.mkdir()
            self.paths = [group]
            (group / "memory.max").write_text(str(limits.memory_bytes))
            (group / "memory.swap.max").write_text("0") if (group / "memory.swap.max").exists() else None
            (group / "pids.max").write_text(str(limits.processes))
            return [group]
        memory, pids = _CGROUP_ROOT / "memory", _CGROUP_ROOT / "pids"
        if not ((memory / "cgroup.procs").is_file() and (pids / "cgroup.procs").is_file()):
            return []
        groups = [memory / "crmlab-grading" / name, pids / "crmlab-grading" / name]
        for group in groups:
            group.mkdir(parents=True)
            self.paths.append(group)
        (groups[0] / "memory.limit_in_bytes").write_text(str(limits.memory_bytes))
        (groups[1] / "pids.max").write_text(str(limits.processes))
        return groups

    def command(self, argv: list[str]) -> list[str]:
        """``argv`` started inside the control group (the shell joins it, then becomes ``argv``)."""
        if not self.paths:
            return list(argv)
        joins = "; ".join(f"echo $$ > {p / 'cgroup.procs'}" for p in self.paths)
        return ["/bin/sh", "-c", f'{joins}; exec "$@"', "crmlab-sandbox", *argv]

    def oom_killed(self) -> bool:
        """Whether the memory limit of the group killed a process."""
        for p in self.paths:
            for name, key in (("memory.events", "oom_kill"), ("memory.oom_control", "oom_kill")):
                with _suppress():
                    for line in (p / name).read_text().splitlines():
                        parts = line.split()
                        if len(parts) == 2 and parts[0] == key and int(parts[1]) > 0:
                            return True
            with _suppress():
                if int((p / "memory.failcnt").read_text()) > 0:
                    return True
        return False

    def remove(self) -> None:
        """Remove the groups (their processes are gone with the sandbox's PID namespace)."""
        import time

        for p in reversed(self.paths):
            for _ in range(50):
                try:
                    p.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # the last processes are still being reaped
                    with _suppress():
                        for pid in (p / "cgroup.procs").read_text().split():
                            os.kill(int(pid), 9)
                    time.sleep(0.1)


def _suppress():
    import contextlib

    return contextlib.suppress(OSError, ValueError)
