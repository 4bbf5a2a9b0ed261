"""What the benchmark scripts share: running a command for its wall time and peak RSS.

The peak RSS a parent reads with wait4 is not the child's own: a child started by vfork or
posix_spawn (what subprocess uses) keeps the parent's high-water mark across its exec, so a
bench that has loaded gigabytes would see them in every command it runs. A small Python
process therefore runs the command and reports its children's peak RSS and wall time."""
import subprocess
import sys
import tempfile

_RUNNER = """import resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.call(sys.argv[2:])
seconds = time.perf_counter() - start
with open(sys.argv[1], "w") as f:
    f.write(f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss} {seconds}")
sys.exit(code)
"""


def measured(command, cwd=None):
    """Runs `command` (in folder `cwd`); returns its stdout, wall seconds and peak RSS in MB (raises if it fails)."""
    with tempfile.NamedTemporaryFile("r", suffix=".usage") as usage:
        process = subprocess.run([sys.executable, "-c", _RUNNER, usage.name, *command], stdout=subprocess.PIPE, text=True, cwd=cwd)
        if process.returncode != 0:
            raise subprocess.CalledProcessError(process.returncode, command)
        rss_kb, seconds = usage.read().split()
    return process.stdout, float(seconds), int(rss_kb) / 1024
