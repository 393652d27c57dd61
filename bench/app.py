"""The desktop app's benchmark: a repository of 10,000 certificates, then
  1. cold start: process start to the window mapped, and to a usable page (WebDriver);
  2. the Certificates list: time to show 10,000 rows, and to filter and sort them;
  3. idle memory: RSS of every process of the app (the web view's included) after 5 s idle,
     with the 10,000 certificates and again with an empty data folder.
Goals (issue 3): usable in < 1.5 s, filter in < 50 ms, idle RSS < 200 MB.

Run through bench/app.sh (release build, Xvfb, D-Bus, keyring).
Usage: app.py APP CLI SEEDER [COUNT]
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e_app"))
from pebble import CLEAN_ENV, Pebble, free_port  # noqa: E402
from webdriver import Driver  # noqa: E402
from xclose import request_close  # noqa: E402


def log(text):
    print(f"[bench] {text}", file=sys.stderr, flush=True)


def cli(binary, data, *args):
    out = subprocess.run([binary, "--data-dir", data, "--json", *args], env=CLEAN_ENV, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"certdesk {' '.join(args)} failed:\n{out.stderr}\n{out.stdout}")
    return json.loads(out.stdout) if out.stdout.strip() else None


def one_real_certificate(binary, data, pebble):
    """Issues one certificate through Pebble with the CLI: the template of the 10,000."""
    cli(binary, data, "account", "register", "--name", "bench", "--email", "bench@example.com", "--agree-tos",
        "--directory", pebble.directory_url, "--ca-root", pebble.ca_root)
    created = cli(binary, data, "request", "create", "--domain", "bench.example.com", "--key", "p256",
                  "--keystore", "pem", "--challenge", "http-01")
    request_id = created["id"]
    for c in cli(binary, data, "request", "show", request_id)["challenges"]:
        pebble.add_http01(c["token"], c["key_authorization"])
    cli(binary, data, "request", "verify", request_id)
    cli(binary, data, "cert", "save", request_id)


def descendants(pid):
    """pid and every process below it."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def memory_kib(pid):
    """(RSS, PSS, private anonymous) of one process. RSS counts a shared library in every
    process that maps it; PSS divides shared pages among their users, so PSS adds up."""
    fields = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3 and parts[2] == "kB":
                    fields[parts[0].rstrip(":")] = int(parts[1])
    except OSError:
        pass
    return fields.get("Rss", 0), fields.get("Pss", 0), fields.get("Anonymous", 0)


def proc_name(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return "?"


def window_mapped():
    out = subprocess.run(["xwininfo", "-root", "-tree"], capture_output=True, text=True).stdout
    return '"certdesk"' in out


def window_id():
    out = subprocess.run(["xwininfo", "-name", "certdesk"], capture_output=True, text=True, check=True).stdout
    return int(out.split("Window id: ")[1].split()[0], 16)


def cold_start_and_memory(app, env):
    """Starts the app bare (no WebDriver): time to a mapped window, then its memory after 5 s
    idle, and again 5 s after its window was closed (the app goes on in the tray)."""
    started = time.monotonic()
    proc = subprocess.Popen([app], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not window_mapped():
            if proc.poll() is not None or time.monotonic() - started > 60:
                raise RuntimeError("the window never appeared")
            time.sleep(0.005)
        mapped = time.monotonic() - started
        time.sleep(5)
        procs = {p: (proc_name(p), memory_kib(p)) for p in descendants(proc.pid)}
        request_close(window_id())
        while window_mapped():
            if time.monotonic() - started > 120:
                raise RuntimeError("the window did not close")
            time.sleep(0.05)
        time.sleep(5)
        tray = {p: (proc_name(p), memory_kib(p)) for p in descendants(proc.pid)}
        return mapped, procs, tray
    finally:
        proc.kill()
        proc.wait()


def usable_and_filter(app, env):
    port, native = free_port(), free_port()
    driver_env = dict(env, TAURI_WEBVIEW_AUTOMATION="true")
    tauri_driver = subprocess.Popen(["tauri-driver", "--port", str(port), "--native-port", str(native)],
                                    env=driver_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    driver = None
    try:
        time.sleep(0.5)  # tauri-driver listening
        started = time.monotonic()
        driver = Driver(port, app)
        driver.wait("ready", "return document.body.dataset.ready === 'true';", timeout=60)
        usable = time.monotonic() - started
        shown = time.monotonic()
        driver.find("#tab-certificates").click()
        count = driver.wait("10,000 rows", "const t = document.getElementById('cert-count').innerText;"
                            "return /of [0-9]{4,}/.test(t) ? t : null;", timeout=120)
        list_ms = (time.monotonic() - shown) * 1000
        probe = (
            "const [css, value, kind] = arguments; const el = document.querySelector(css);"
            "el.value = value; const t0 = performance.now();"
            "el.dispatchEvent(new Event(kind, {bubbles: true}));"
            "const t1 = performance.now(); const list = document.getElementById('cert-list');"
            "return [t1 - t0, Number(list.dataset.filterMs), document.getElementById('cert-count').innerText];"
        )
        samples = []
        for css, value, kind in [
            ("#cert-search", "host1", "input"), ("#cert-search", "example.net", "input"),
            ("#cert-search", "www.host99", "input"), ("#cert-search", "nothing-matches", "input"),
            ("#cert-search", "", "input"), ("#cert-days", "30", "change"), ("#cert-days", "expired", "change"),
            ("#cert-days", "all", "change"), ("#cert-sort", "name", "change"), ("#cert-sort", "expiry", "change"),
        ]:
            total, filt, text = driver.js(probe, css, value, kind)
            samples.append((f"{css} = {value!r}", total, filt, text))
        return usable, count, list_ms, samples
    finally:
        if driver:
            driver.quit()
        tauri_driver.kill()
        tauri_driver.wait()


def main():
    app, binary, seeder = sys.argv[1:4]
    count = int(sys.argv[4]) if len(sys.argv) > 4 else 10000
    work = tempfile.mkdtemp(prefix="certdesk-bench-app-")
    data = os.path.join(work, "data")
    pebble = Pebble()
    try:
        log("issuing one real certificate through Pebble")
        one_real_certificate(binary, data, pebble)
    finally:
        pebble.stop()
    log(f"seeding the repository to {count} certificates")
    subprocess.run([seeder, data, str(count - 1)], check=True, env=CLEAN_ENV, stdout=subprocess.DEVNULL)
    env = dict(CLEAN_ENV, CERTDESK_DATA_DIR=data)

    log("cold start and idle memory (3 runs)")
    runs = [cold_start_and_memory(app, env) for _ in range(3)]
    mapped = [r[0] for r in runs]
    memory = [[sum(m[i] for _, m in r[1].values()) / 1024 for i in range(3)] for r in runs]
    # The same with nothing in the data folder: what the app costs before the repository does.
    log("idle memory with an empty data folder (3 runs)")
    empty_env = dict(CLEAN_ENV, CERTDESK_DATA_DIR=os.path.join(work, "empty"))
    empty_runs = [cold_start_and_memory(app, empty_env) for _ in range(3)]
    empty_memory = [[sum(m[i] for _, m in r[1].values()) / 1024 for i in range(3)] for r in empty_runs]
    tray_memory = [[sum(m[i] for _, m in r[2].values()) / 1024 for i in range(3)] for r in runs]
    log("usable window and list filtering (WebDriver)")
    usable, shown, list_ms, samples = usable_and_filter(app, env)

    print(f"certdesk app benchmark: {count} certificates in the repository (release build)")
    print(f"  cold start to window mapped:  median {statistics.median(mapped):.2f} s  (runs: "
          f"{', '.join(f'{m:.2f}' for m in mapped)})")
    print(f"  cold start to usable page:    {usable:.2f} s  (WebDriver session included; goal < 1.5 s)")
    print(f"  Certificates tab, list shown: {list_ms:.0f} ms  ({shown})")
    worst = max(s[1] for s in samples)
    print(f"  filter/sort 10,000 rows:      median {statistics.median(s[1] for s in samples):.1f} ms, "
          f"worst {worst:.1f} ms (filter alone worst {max(s[2] for s in samples):.1f} ms; goal < 50 ms)")
    for what, total, filt, text in samples:
        print(f"      {what:34s} {total:6.1f} ms  (filter {filt:5.1f} ms)  {text}")
    rss, pss, anon = (statistics.median(m[i] for m in memory) for i in range(3))
    print(f"  idle memory, all processes:   RSS {rss:.0f} MB (goal < 200 MB), PSS {pss:.0f} MB, "
          f"private anonymous {anon:.0f} MB (medians of 3 runs, after 5 s idle)")
    for pid, (name, (r, p, a)) in sorted(runs[-1][1].items(), key=lambda x: -x[1][1][0]):
        print(f"      {name:24s} RSS {r / 1024:6.1f} MB  PSS {p / 1024:6.1f} MB  anon {a / 1024:6.1f} MB")
    rss, pss, anon = (statistics.median(m[i] for m in empty_memory) for i in range(3))
    print(f"  idle memory, empty data folder: RSS {rss:.0f} MB, PSS {pss:.0f} MB, "
          f"private anonymous {anon:.0f} MB (medians of 3 runs)")
    for pid, (name, (r, p, a)) in sorted(empty_runs[-1][1].items(), key=lambda x: -x[1][1][0]):
        print(f"      {name:24s} RSS {r / 1024:6.1f} MB  PSS {p / 1024:6.1f} MB  anon {a / 1024:6.1f} MB")
    rss, pss, anon = (statistics.median(m[i] for m in tray_memory) for i in range(3))
    print(f"  idle in the tray (window closed): RSS {rss:.0f} MB, PSS {pss:.0f} MB, "
          f"private anonymous {anon:.0f} MB (medians of 3 runs, {count} certificates)")
    for pid, (name, (r, p, a)) in sorted(runs[-1][2].items(), key=lambda x: -x[1][1][0]):
        print(f"      {name:24s} RSS {r / 1024:6.1f} MB  PSS {p / 1024:6.1f} MB  anon {a / 1024:6.1f} MB")


if __name__ == "__main__":
    main()
