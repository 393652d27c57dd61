"""The desktop app's benchmark: a repository of 10,000 certificates, then
  1. cold start: process start to the window mapped, and to a usable page (WebDriver);
  2. the Certificates list: time to show 10,000 rows, and to filter and sort them;
  3. idle memory: RSS of every process of the app (the web view's included) after 5 s idle,
     with the 10,000 certificates and again with an empty data folder; then in the tray, 5 s
     after the window was closed, and started in the tray (`certdesk-app --tray`).
Goals: usable in < 1.5 s, filter in < 50 ms (issue 3); in the tray at most 120 MB RSS over all
of certdesk's processes with 10,000 certificates (issue 14).

Run through bench/app.sh (release build, Xvfb, D-Bus, keyring).
Usage: app.py APP CLI SEEDER [COUNT] [--memory]
  --memory: only the memory figures with COUNT certificates (no WebDriver, no empty folder).
"""

import glob
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e_app"))
from pebble import CLEAN_ENV, Pebble, free_port  # noqa: E402
from webdriver import Driver  # noqa: E402
from xclose import request_close  # noqa: E402
import procs  # noqa: E402


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


def measured(app):
    """{pid: (name, (RSS, PSS, anonymous))} over the app's processes (`app`'s and WebKit's)."""
    return {p: (procs.name(p), memory_kib(p)) for p in procs.all_of(app)}


def end_app(app, proc):
    """Kills every process of the app this run started (the tray process it handed over to
    included) and waits for them to be gone, so that the next run counts only its own."""
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    while left := procs.all_of(app):
        if time.monotonic() > deadline:
            raise RuntimeError(f"processes of {app} outlived the run: {left}")
        for p in left:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.05)


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


def window_mapped():
    out = subprocess.run(["xwininfo", "-root", "-tree"], capture_output=True, text=True).stdout
    return '"certdesk"' in out


def window_id():
    out = subprocess.run(["xwininfo", "-name", "certdesk"], capture_output=True, text=True, check=True).stdout
    return int(out.split("Window id: ")[1].split()[0], 16)


def cold_start_and_memory(app, env):
    """Starts the app bare (no WebDriver): time to a mapped window, then its memory after 5 s
    idle, and again 5 s after its window was closed and the page's web process ended (the app
    goes on in the tray)."""
    started = time.monotonic()
    proc = subprocess.Popen([app], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not window_mapped():
            if proc.poll() is not None or time.monotonic() - started > 60:
                raise RuntimeError("the window never appeared")
            time.sleep(0.005)
        mapped = time.monotonic() - started
        time.sleep(5)
        window = measured(app)
        request_close(window_id())
        # Handed over: a lone tray process. (A build that stays in its window's process: that
        # process, once the page's web process ended.)
        while window_mapped() or procs.webkit((procs.WEB_PROCESS,)) or len(procs.of_binary(app)) != 1:
            if time.monotonic() - started > 120:
                raise RuntimeError("the window or its web process did not close")
            time.sleep(0.05)
        time.sleep(5)
        tray = measured(app)
        return mapped, window, tray
    finally:
        end_app(app, proc)


def tray_start_memory(app, env):
    """Starts the app in the tray (`--tray`, as at login): its memory after 5 s, or None when a
    window opened instead (a build without a tray mode)."""
    proc = subprocess.Popen([app, "--tray"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(5)
        return None if window_mapped() else measured(app)
    finally:
        end_app(app, proc)


def mini_browser():
    """WebKitGTK's own browser, of the same libwebkit2gtk-4.1 the app links, or None."""
    found = sorted(glob.glob("/usr/lib/*/webkit2gtk-4.1/MiniBrowser"))
    return found[0] if found else None


def webkit_floor(browser, env):
    """WebKitGTK's floor: MiniBrowser showing a one-line page, in the app's environment (the
    settings of `memory.rs` included, which the app sets itself), its memory after 5 s."""
    page = "data:text/html,<title>floor</title><p>WebKitGTK's floor</p>"
    floor_env = dict(env, WEBKIT_DISABLE_COMPOSITING_MODE="1")
    proc = subprocess.Popen([browser, page], env=floor_env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not procs.webkit((procs.WEB_PROCESS,)):
            if time.monotonic() > deadline:
                raise RuntimeError("MiniBrowser started no web process")
            time.sleep(0.05)
        time.sleep(5)
        return measured(browser)
    finally:
        end_app(browser, proc)


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


def totals(runs):
    """Medians over runs of the (RSS, PSS, anonymous) sums, in MB; runs are {pid: (name, mem)}."""
    sums = [[sum(m[i] for _, m in r.values()) / 1024 for i in range(3)] for r in runs]
    return [statistics.median(s[i] for s in sums) for i in range(3)]


def print_memory(title, runs, goal=""):
    """One line of medians, then the processes of the last run."""
    rss, pss, anon = totals(runs)
    print(f"  {title}: RSS {rss:.0f} MB{goal}, PSS {pss:.0f} MB, private anonymous {anon:.0f} MB "
          f"(medians of {len(runs)} runs, after 5 s idle)")
    for pid, (name, (r, p, a)) in sorted(runs[-1].items(), key=lambda x: -x[1][1][0]):
        print(f"      {name:24s} RSS {r / 1024:6.1f} MB  PSS {p / 1024:6.1f} MB  anon {a / 1024:6.1f} MB")


def main():
    args = [a for a in sys.argv[1:] if a != "--memory"]
    memory_only = "--memory" in sys.argv[1:]
    app, binary, seeder = args[0:3]
    count = int(args[3]) if len(args) > 3 else 10000
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

    log("cold start, idle memory and the tray after closing (3 runs)")
    runs = [cold_start_and_memory(app, env) for _ in range(3)]
    log("started in the tray (3 runs)")
    tray_starts = [tray_start_memory(app, env) for _ in range(3)]
    browser = mini_browser()
    if browser:
        log("WebKitGTK's floor: MiniBrowser with a one-line page (3 runs)")
        floors = [webkit_floor(browser, env) for _ in range(3)]
    if not memory_only:
        # The same with nothing in the data folder: what the app costs before the repository does.
        log("idle memory with an empty data folder (3 runs)")
        empty_env = dict(CLEAN_ENV, CERTDESK_DATA_DIR=os.path.join(work, "empty"))
        empty_runs = [cold_start_and_memory(app, empty_env) for _ in range(3)]
        log("usable window and list filtering (WebDriver)")
        usable, shown, list_ms, samples = usable_and_filter(app, env)

    mapped = [r[0] for r in runs]
    print(f"certdesk app benchmark: {count} certificates in the repository (release build)")
    print(f"  cold start to window mapped:  median {statistics.median(mapped):.2f} s  (runs: "
          f"{', '.join(f'{m:.2f}' for m in mapped)})")
    if not memory_only:
        print(f"  cold start to usable page:    {usable:.2f} s  (WebDriver session included; goal < 1.5 s)")
        print(f"  Certificates tab, list shown: {list_ms:.0f} ms  ({shown})")
        worst = max(s[1] for s in samples)
        print(f"  filter/sort 10,000 rows:      median {statistics.median(s[1] for s in samples):.1f} ms, "
              f"worst {worst:.1f} ms (filter alone worst {max(s[2] for s in samples):.1f} ms; goal < 50 ms)")
        for what, total, filt, text in samples:
            print(f"      {what:34s} {total:6.1f} ms  (filter {filt:5.1f} ms)  {text}")
    print_memory("window open, all processes", [r[1] for r in runs])
    if browser:
        print_memory("WebKitGTK's floor (MiniBrowser, one-line page)", floors)
        window, floor = totals([r[1] for r in runs])[0], totals(floors)[0]
        print(f"  window open over the floor: {100 * (window / floor - 1):+.0f} % RSS (goal within 15 %)")
    else:
        print("  WebKitGTK's floor: no MiniBrowser (Debian: libwebkit2gtk-4.1-0 ships it)")
    if not memory_only:
        print_memory("window open, empty data folder", [r[1] for r in empty_runs])
    print_memory(f"in the tray, window closed ({count} certificates)", [r[2] for r in runs], " (goal <= 120 MB)")
    if None in tray_starts:
        print("  started with --tray: a window opened (this build has no tray mode)")
    else:
        print_memory(f"started with --tray ({count} certificates)", tray_starts)


if __name__ == "__main__":
    main()
