"""Start-up time to the unlock screen and idle memory of the real app.

Run (after `bash scripts/e2e` or `make run` built the app):
    xvfb-run -a target/e2e-venv/bin/python tests/e2e/measure.py [APP_BINARY]
The app is started directly (no WebDriver) with VRM_STARTUP_TRACE=1, so it
prints when the UI made its first call (the page is loaded and asks which
screen to show: the unlock screen follows at once). Prints the median over 7
starts, and the idle memory of the app's process tree (the app plus WebKit's
web and network processes) 5 s after start-up, as RSS (which counts the
shared WebKit libraries once per process) and as PSS (which splits them).
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def tree_rss_kib(root_pid, field="VmRSS:", source="status"):
    """RSS (or, with field="Pss:" and source="smaps_rollup", PSS) of a
    process and all its descendants, in KiB."""
    children = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(pid))
        except OSError:
            continue
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        try:
            for line in Path(f"/proc/{pid}/{source}").read_text().splitlines():
                if line.startswith(field):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def main(app, runs=7):
    tmp = Path(tempfile.mkdtemp())
    vault = tmp / "vault"
    # A vault with a passphrase, so the app opens on the unlock screen.
    subprocess.run(
        [str(ROOT / "target" / "debug" / "vrm"), "--vault", str(vault), "--kdf-target-ms", "0", "init"],
        env={**os.environ, "VRM_PASSPHRASE": "measure passphrase"}, check=True, capture_output=True,
    )
    env = {**os.environ, "VRM_VAULT": str(vault), "VRM_SETTINGS": str(tmp / "settings.json"),
           "VRM_STARTUP_TRACE": "1"}
    starts, rss, pss = [], [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.Popen([app], env=env, stderr=subprocess.PIPE, text=True)
        for line in proc.stderr:
            if line.startswith("startup: ui ready"):
                starts.append((time.perf_counter() - t0) * 1000)
                break
        time.sleep(5)
        rss.append(tree_rss_kib(proc.pid) / 1024)
        pss.append(tree_rss_kib(proc.pid, "Pss:", "smaps_rollup") / 1024)
        proc.terminate()
        proc.wait(10)
    print(f"app: {app}")
    print(f"start to unlock screen: median {statistics.median(starts):.0f} ms "
          f"(min {min(starts):.0f}, max {max(starts):.0f}, n={len(starts)})")
    print(f"idle RSS (app + WebKit processes): median {statistics.median(rss):.0f} MiB "
          f"(min {min(rss):.0f}, max {max(rss):.0f}); shared library pages count once per process")
    print(f"idle PSS (the same processes, shared pages split between them): median {statistics.median(pss):.0f} MiB "
          f"(min {min(pss):.0f}, max {max(pss):.0f})")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "target" / "debug" / "vrm-vault-app"))
