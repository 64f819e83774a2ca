"""Benchmarks printing figures (not timed tests): `defectd parse` throughput and
peak memory on generated mail; end-to-end ingestion when tests/bench/ingest.sh exists."""
import os, resource, subprocess, sys, time

N = int(os.environ.get("BENCH_MESSAGES", "10000"))
BIN = os.environ.get("DEFECTD", "build/defectd")
out = f"build/bench/mails-{N}"


def generate():
    if os.path.isdir(out) and len(os.listdir(out)) >= N:
        return
    subprocess.run(["/usr/bin/python3", "tests/bench/gen.py", out, str(N), "--seed", "1"], check=True)


def measure(files):
    """run `defectd parse` in a child and return (seconds, peak RSS KiB, cpu seconds)"""
    r, w = os.pipe()
    t0 = time.time()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.execv(BIN, [BIN, "parse"] + files)
    os.close(w)
    os.close(r)
    _, status, ru = os.wait4(pid, 0)
    secs = time.time() - t0
    # ru covers defectd itself; its parser child is counted in RUSAGE_CHILDREN of defectd,
    # which wait4 folds in once defectd waited for it
    return secs, ru.ru_maxrss, ru.ru_utime + ru.ru_stime, os.waitstatus_to_exitcode(status)


generate()
files = sorted(os.path.join(out, f) for f in os.listdir(out))[:N]
size = sum(os.path.getsize(f) for f in files)
kinds = {}
for f in files:
    k = os.path.basename(f).split("-")[1] if "-" in os.path.basename(f) else "mail"
    kinds[k] = kinds.get(k, 0) + 1
print(f"corpus: {len(files)} messages, {size / 1e6:.1f} MB ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))})")
measure(files[:200])  # warm the page cache
best = None
for _ in range(3):
    m = measure(files)
    if best is None or m[0] < best[0]:
        best = m
secs, rss, cpu, code = best
print(f"parse: {len(files) / secs:,.0f} messages/s, {size / 1e6 / secs:.1f} MB/s wall "
      f"({secs:.2f} s for {len(files)}; {cpu:.2f} s CPU in all processes; exit {code})")
def core_rate(subset):
    """files per CPU second of the parser process alone (`defectd parse --stats`)"""
    p = subprocess.run([BIN, "parse", "--stats"] + subset, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    line = [l for l in p.stderr.splitlines() if l.startswith("parse stats:")][-1]
    return float(line.split("(")[1].split()[0])


plain = []
for f in files:
    head = open(f, "rb").read(4096).lower()
    if b"multipart" not in head and b"text/html" not in head:
        plain.append(f)
# best of 5: on a shared host a run can lose 20 % to neighbours; the best run is the
# parser's own speed (median and spread printed too)
def rates(subset):
    r = sorted(core_rate(subset) for _ in range(5))
    return f"{r[-1]:,.0f} (median {r[2]:,.0f}, worst {r[0]:,.0f})"


print(f"parser process, one core, messages per CPU second, best of 5: {rates(files)} for the whole mix; "
      f"{rates(plain)} for the {len(plain)} plain-text reports")
small = measure(files[: max(1, len(files) // 10)])
print(f"peak RSS: {rss / 1024:.1f} MiB for {len(files)} files, {small[1] / 1024:.1f} MiB for {len(files) // 10} files")
if os.path.exists("tests/bench/ingest.sh") and not os.environ.get("BENCH_PARSE_ONLY"):
    subprocess.run(["bash", "tests/bench/ingest.sh"], check=False)
