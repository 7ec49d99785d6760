#!/usr/bin/env python3
"""`make bench`: measures the token endpoint on the local stack and writes BENCHMARKS.md.

Expects what the Makefile's bench target prepares: the venv (moto), oha, the two Lambda zips in
build/bench/, the native binary they were made from, build/node/ (the unpacked Node.js zip) and
wasm/node/node_modules (the AWS SDK the Node.js runtime would provide). Every number in the
report comes from this run; ratios are measured side by side in the same run.
"""
import datetime
import gzip
import http.client
import json
import os
import pathlib
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv/bin"
BOOTSTRAP = pathlib.Path(os.environ.get("BENCH_BOOTSTRAP", ROOT / "target/x86_64-unknown-linux-gnu/release/bootstrap"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
LOAD_REQUESTS = int(os.environ.get("BENCH_REQUESTS", "10000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "64"))
COLD_STARTS = int(os.environ.get("BENCH_COLD_STARTS", "7"))
EMULATOR_PORT = 4566
BIND = "127.0.0.1:9000"
EMULATOR = f"http://127.0.0.1:{EMULATOR_PORT}"
AWS_ENV = {"AWS_ENDPOINT_URL": EMULATOR, "AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1",
           "AWS_ACCESS_KEY_ID": "key", "AWS_SECRET_ACCESS_KEY": "secret"}
# The emulator answers one request at a time (moto is a Python process): at concurrency 64
# requests queue in it, so AWS calls get a generous timeout here; production keeps the default.
SERVER_ENV = {"TOKEN_SDK_TIMEOUT_MS": "20000"}
TOKEN_BODY = "grant_type=client_credentials&scope=public"
CLK_TCK = os.sysconf("SC_CLK_TCK")

# AWS list prices, us-east-1, as published on the services' pricing pages (December 2026);
# check them before budgeting. Lambda is billed per 1 ms.
PRICES = {
    "http_api_per_million": 1.00,        # API Gateway HTTP API, first 300 M requests/month
    "rest_api_per_million": 3.50,        # API Gateway REST API, first 333 M requests/month
    "lambda_request_per_million": 0.20,
    "lambda_gb_second_x86": 0.0000166667,
    "lambda_gb_second_arm": 0.0000133334,
    "dynamodb_rru_per_million": 0.125,   # on-demand read request units
    "kms_per_10k": 0.03,                 # asymmetric requests with RSA 2048 keys
}


def log(*args):
    print("bench:", *args, file=sys.stderr, flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw).stdout


def median_range(values, fmt="{:.0f}"):
    values = sorted(values)
    med = statistics.median(values)
    if len(values) == 1:
        return fmt.format(med)
    return f"{fmt.format(med)} ({fmt.format(values[0])}–{fmt.format(values[-1])})"


# ---------------------------------------------------------------------------------------------
def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    mem_kb = int(next(l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal")))
    tool = lambda *c: run(list(c)).strip().splitlines()[0]
    return {
        "cpu": f"{cpu}, {os.cpu_count()} logical CPUs",
        "memory": f"{mem_kb / 1024 / 1024:.0f} GiB",
        "os": f"{platform.system()} {platform.release()}",
        "rustc": tool("rustc", "--version"),
        "node": tool("node", "--version"),
        "moto": tool(str(VENV_BIN / "python"), "-c", "import moto; print(moto.__version__)"),
        "oha": tool("oha", "--version"),
    }


# ---------------------------------------------------------------------------------------------
CRITERION = {"issue/plain-secret": "issue, plain secret", "issue/pbkdf2-secret": "issue, PBKDF2 secret (1,000 rounds)",
             "verify/rs256": "verify RS256"}


def core_benches():
    results = {name: [] for name in CRITERION}
    for i in range(RUNS):
        log(f"criterion run {i + 1}/{RUNS}")
        subprocess.run(["cargo", "bench", "-q", "-p", "token-core", "--bench", "issue", "--", "--noplot"],
                       check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        for name in CRITERION:
            est = json.loads((ROOT / "target/criterion" / name.replace("/", "_") / "new/estimates.json").read_text())
            results[name].append(est["median"]["point_estimate"])
    return results


# ---------------------------------------------------------------------------------------------
def make(*args, env=None):
    subprocess.run(["make", "-s", *args], check=True, cwd=ROOT, env={**os.environ, **(env or {})},
                   stdout=subprocess.DEVNULL)


def oha(requests, concurrency, url=f"http://{BIND}/token"):
    out = run(["oha", "-n", str(requests), "-c", str(concurrency), "--no-tui", "--output-format", "json",
               "-m", "POST", "-a", "admin:admin", "-T", "application/x-www-form-urlencoded", "-d", TOKEN_BODY, url])
    return json.loads(out)


def cpu_seconds(pid):
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime, all threads


def peak_rss_kb(pid):
    return int(re.search(r"VmHWM:\s+(\d+)", pathlib.Path(f"/proc/{pid}/status").read_text()).group(1))


def request_lines(since):
    """The request log lines the server wrote after byte offset `since` of its log."""
    with open(ROOT / ".run/bootstrap.log", "rb") as f:
        f.seek(since)
        text = f.read().decode(errors="replace")
    lines = []
    for line in text.splitlines():
        if line.startswith("{") and '"message":"request"' in line:
            lines.append(json.loads(line))
    return lines


def load_runs(pid):
    runs = []
    for i in range(RUNS):
        log(f"load run {i + 1}/{RUNS}: {LOAD_REQUESTS} requests at concurrency {CONCURRENCY}")
        offset = (ROOT / ".run/bootstrap.log").stat().st_size
        before = cpu_seconds(pid)
        result = oha(LOAD_REQUESTS, CONCURRENCY)
        cpu = cpu_seconds(pid) - before
        own = [l["cpu_us"] for l in request_lines(offset) if l.get("outcome") == "issued"]
        codes = result["statusCodeDistribution"]
        ok = int(codes.get("200", 0))
        runs.append({
            "tokens_per_s": result["summary"]["requestsPerSec"],
            "p50_ms": result["latencyPercentiles"]["p50"] * 1000,
            "p99_ms": result["latencyPercentiles"]["p99"] * 1000,
            "errors": LOAD_REQUESTS - ok,
            "status": codes,
            "transport_errors": result.get("errorDistribution", {}),
            "cpu_us_per_token": cpu / max(ok, 1) * 1e6,
            "own_cpu_us_mean": statistics.mean(own) if own else float("nan"),
            "own_cpu_us_p99": sorted(own)[int(len(own) * 0.99)] if own else float("nan"),
            "logged_tokens": len(own),
        })
    return runs


def recorded_calls(tokens, issue):
    """AWS operations moto records while `issue(tokens)` runs, by X-Amz-Target."""
    post = lambda path: urllib.request.urlopen(urllib.request.Request(f"{EMULATOR}/moto-api/recorder/{path}", method="POST"))
    post("reset-recording")
    post("start-recording")
    issue(tokens)
    post("stop-recording")
    body = urllib.request.urlopen(f"{EMULATOR}/moto-api/recorder/download-recording").read().decode()
    counts = {}
    for line in filter(None, body.splitlines()):
        target = json.loads(line).get("headers", {}).get("X-Amz-Target", "?")
        counts[target] = counts.get(target, 0) + 1
    return counts


def issue_native(n):
    result = oha(n, 4)
    assert result["statusCodeDistribution"] == {"200": n}, result["statusCodeDistribution"]


NODE_DRIVER = r"""
const { handler } = require(process.argv[1]);
const event = require(process.argv[2]);
const n = Number(process.argv[3] || 1);
(async () => {
  for (let i = 0; i < n; i++) {
    const r = await handler(event);
    if (r.statusCode !== 200) { process.stderr.write('STATUS ' + r.statusCode + '\n'); process.exit(1); }
  }
  process.stderr.write('STATUS 200\n');
  process.exit(0);
})();
"""


def node_env():
    return {"PATH": os.environ["PATH"], "NODE_PATH": str(ROOT / "wasm/node/node_modules"),
            "AWS_LAMBDA_FUNCTION_NAME": "token", **AWS_ENV,
            "TOKEN_ISSUER": "https://abcdef1234.execute-api.eu-west-1.amazonaws.com/dev"}


def node_command(n):
    return ["node", "-e", NODE_DRIVER, str(ROOT / "build/node/index.js"),
            str(ROOT / "lambda/tests/events/rest_v1_token.json"), str(n)]


def issue_node(n):
    # A fresh process issues n tokens, so its one GetPublicKey is recorded too; the report
    # counts it apart from the per-token calls.
    subprocess.run(node_command(n), check=True, env=node_env(), cwd=ROOT / "build/node",
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# ---------------------------------------------------------------------------------------------
def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def token_status(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("POST", "/token", body=TOKEN_BODY, headers={
        "authorization": "Basic YWRtaW46YWRtaW4=", "content-type": "application/x-www-form-urlencoded"})
    status = conn.getresponse().status
    conn.close()
    return status


def cold_native():
    port = free_port()
    env = {**os.environ, **AWS_ENV, "TOKEN_BIND": f"127.0.0.1:{port}"}
    started = time.perf_counter()
    child = subprocess.Popen([str(BOOTSTRAP)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                status = token_status(port)
                break
            except ConnectionRefusedError:
                time.sleep(0.0005)
        elapsed = time.perf_counter() - started
        assert status == 200, status
        return elapsed * 1000
    finally:
        child.kill()
        child.wait()


def cold_node():
    started = time.perf_counter()
    child = subprocess.Popen(node_command(1), env=node_env(), cwd=ROOT / "build/node",
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in child.stderr:
        if line.startswith("STATUS"):
            elapsed = time.perf_counter() - started
            assert line.strip() == "STATUS 200", line
            break
    child.kill()
    child.wait()
    return elapsed * 1000


def cold_starts():
    native, node = [], []
    cold_native(), cold_node()  # page cache and moto warm for both alike
    for i in range(COLD_STARTS):
        log(f"cold start {i + 1}/{COLD_STARTS}")
        native.append(cold_native())
        node.append(cold_node())
    return native, node


# ---------------------------------------------------------------------------------------------
def sizes():
    node_wasm = (ROOT / "wasm/node/pkg/token_wasm_bg.wasm").read_bytes()
    www_wasm = (ROOT / "wasm/www/pkg/token_wasm_bg.wasm").read_bytes()
    return {
        "bootstrap_zip": (ROOT / "build/bench/bootstrap.zip").stat().st_size,
        "bootstrap_binary": BOOTSTRAP.stat().st_size,
        "node_zip": (ROOT / "build/bench/node.zip").stat().st_size,
        "node_wasm": len(node_wasm),
        "node_wasm_gz": len(gzip.compress(node_wasm, 9)),
        "www_wasm": len(www_wasm),
        "www_wasm_gz": len(gzip.compress(www_wasm, 9)),
    }


def cost(duration_ms, reads_per_token, signs_per_token):
    billed_ms = max(1, -(-duration_ms // 1))  # Lambda bills whole milliseconds
    gb_s = 0.125 * billed_ms / 1000 * 1_000_000
    lambda_x86 = PRICES["lambda_request_per_million"] + gb_s * PRICES["lambda_gb_second_x86"]
    lambda_arm = PRICES["lambda_request_per_million"] + gb_s * PRICES["lambda_gb_second_arm"]
    dynamodb = reads_per_token * 0.5 * PRICES["dynamodb_rru_per_million"]  # eventually consistent, item <= 4 KB
    kms = signs_per_token * 100 * PRICES["kms_per_10k"]
    return {"billed_ms": billed_ms, "gb_s": gb_s, "lambda_x86": lambda_x86, "lambda_arm": lambda_arm,
            "dynamodb": dynamodb, "kms": kms,
            "http_total": PRICES["http_api_per_million"] + lambda_arm + dynamodb + kms,
            "rest_total": PRICES["rest_api_per_million"] + lambda_arm + dynamodb + kms}


# ---------------------------------------------------------------------------------------------
def verdict(ok):
    return "met" if ok else "**missed**"


def report(m, crit, load, pid_rss, calls_native, calls_node, seq, native, node, sz, fuzz, c):
    issue_med = statistics.median(crit["issue/plain-secret"]) / 1000
    errors = sum(r["errors"] for r in load)
    cpu_med = statistics.median(r["cpu_us_per_token"] for r in load)
    own_med = statistics.median(r["own_cpu_us_mean"] for r in load)
    native_med, node_med = statistics.median(native), statistics.median(node)
    ratio = native_med / node_med
    # Per token: everything but the one GetPublicKey a process makes when it loads its key.
    calls = lambda d: sum(v for k, v in d.items() if k != "TrentService.GetPublicKey")
    warm_calls = calls(calls_native) / CALL_TOKENS
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` on {datetime.date.today().isoformat()}. Every figure below comes from that run;",
        f"medians of {RUNS} runs with the range in parentheses where several runs were made.",
        "",
        "## Machine",
        "",
        *[f"- {k}: {v}" for k, v in m.items()],
        "- AWS: moto_server (DynamoDB and KMS wire protocols, real RSA signatures) on this machine,",
        "  provisioned by `init-scripts/init.sh`: the figures that involve AWS measure the emulator too.",
        "",
        "## Targets",
        "",
        "| target | measured | |",
        "|---|---|---|",
        f"| core issuance ≤ 2 µs/token | {issue_med:.2f} µs | {verdict(issue_med <= 2)} |",
        f"| 2 AWS calls per warm token | {warm_calls:g} (native), {calls(calls_node) / CALL_TOKENS:g} (Node.js) | {verdict(warm_calls == 2)} |",
        f"| native cold start ≤ 1/8 of Node.js/wasm | 1/{1 / ratio:.1f} ({native_med:.0f} ms vs {node_med:.0f} ms) | {verdict(ratio <= 1 / 8)} |",
        f"| native server CPU ≤ 20 µs/token outside AWS calls | {own_med:.1f} µs (whole process, AWS SDK included: {cpu_med:.0f} µs) | {verdict(own_med <= 20)} |",
        f"| peak RSS ≤ 24 MB | {pid_rss / 1024:.1f} MB | {verdict(pid_rss <= 24 * 1024)} |",
        f"| `bootstrap` zip ≤ 3 MB | {sz['bootstrap_zip'] / 1e6:.2f} MB | {verdict(sz['bootstrap_zip'] <= 3e6)} |",
        f"| Lambda `.wasm` ≤ 150 KB gzipped | {sz['node_wasm_gz'] / 1000:.0f} KB | {verdict(sz['node_wasm_gz'] <= 150_000)} |",
        f"| zero errors in the load runs | {errors} | {verdict(errors == 0)} |",
        "",
        "## Core (criterion, precomputed signature, no I/O)",
        "",
        "`cargo bench -p token-core --bench issue`: one request through every step (parse, load,",
        "authenticate, claims, signing input, finish with an RSA-2048 signature, response body).",
        "",
        "| benchmark | ns/token |",
        "|---|---|",
        *[f"| {label} | {median_range(crit[name])} |" for name, label in CRITERION.items()],
        "",
        "## Local server under load",
        "",
        f"`oha -n {LOAD_REQUESTS} -c {CONCURRENCY}` POSTs the seed's request (Basic admin:admin, scope=public) to the",
        f"`bootstrap` of `make up` (the release binary that goes into the Lambda zip), {RUNS} runs. Each",
        "token costs one DynamoDB Query and one KMS Sign in moto, which is the bottleneck: tokens/s and",
        "latency describe moto as much as the endpoint.",
        "",
        "Two CPU figures per token. *Own*: the mean of the `cpu_us` the server logs for each issued",
        "token, the thread CPU time spent polling the request outside its AWS calls (parsing, core,",
        "the response). *Process*: the server's user + system time (/proc/<pid>/stat, all threads)",
        "divided by tokens, which adds the AWS SDK's work for two calls (a fresh TCP connection each,",
        "as moto closes connections; SigV4; serialisation), hyper, and the kernel's scheduling.",
        "",
        "| run | tokens/s | p50 ms | p99 ms | errors | own CPU µs/token, mean (p99) | process CPU µs/token |",
        "|---|---|---|---|---|---|---|",
        *[f"| {i + 1} | {r['tokens_per_s']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['errors']} | {r['own_cpu_us_mean']:.1f} ({r['own_cpu_us_p99']:.1f}) | {r['cpu_us_per_token']:.0f} |"
          for i, r in enumerate(load)],
        f"| median | {median_range([r['tokens_per_s'] for r in load])} | {median_range([r['p50_ms'] for r in load], '{:.1f}')} | "
        f"{median_range([r['p99_ms'] for r in load], '{:.1f}')} | {errors} total | {median_range([r['own_cpu_us_mean'] for r in load], '{:.1f}')} | {median_range([r['cpu_us_per_token'] for r in load])} |",
        "",
        f"Peak RSS of the server after all runs (VmHWM): {pid_rss / 1024:.1f} MB.",
        f"Sequential requests (concurrency 1, {SEQ_REQUESTS} requests): p50 {seq['p50_ms']:.1f} ms, p99 {seq['p99_ms']:.1f} ms.",
        "",
        "## AWS calls per token",
        "",
        f"Counted by moto's request recorder (X-Amz-Target of every request it received) while {CALL_TOKENS}",
        "tokens were issued by a warm process:",
        "",
        f"- native `bootstrap`: {', '.join(f'{k} × {v}' for k, v in sorted(calls_native.items()))}",
        f"- Node.js handler (one fresh process issuing {CALL_TOKENS} tokens, so its one key load is included):",
        f"  {', '.join(f'{k} × {v}' for k, v in sorted(calls_node.items()))}",
        "",
        "## Cold start",
        "",
        "From process start to the first 200 token response, against the same warm moto, alternating",
        f"native and Node.js {COLD_STARTS} times. Native: the release `bootstrap` as a local HTTP server,",
        "polled with the token request every 0.5 ms. Node.js: `node` loading the unpacked Lambda zip's",
        "`index.js` (AWS SDK v3 from `NODE_PATH`, as the runtime provides it) and calling the handler",
        "with a recorded API Gateway event. Both make the same three AWS calls (GetPublicKey, Query,",
        "Sign). The Lambda service's own init time is not part of either figure.",
        "",
        "| | ms, median (range) |",
        "|---|---|",
        f"| native `bootstrap` | {median_range(native, '{:.1f}')} |",
        f"| Node.js 20 + wasm | {median_range(node, '{:.1f}')} |",
        f"| ratio (medians) | 1/{1 / ratio:.1f} |",
        "",
        "## Sizes",
        "",
        "| artefact | bytes |",
        "|---|---|",
        f"| `bootstrap` zip (provided.al2023, x86_64) | {sz['bootstrap_zip']:,} |",
        f"| `bootstrap` binary | {sz['bootstrap_binary']:,} |",
        f"| Node.js zip (nodejs20.x) | {sz['node_zip']:,} |",
        f"| Lambda `.wasm` (issuing only), raw / gzip -9 | {sz['node_wasm']:,} / {sz['node_wasm_gz']:,} |",
        f"| browser `.wasm` (with the verifier), raw / gzip -9 | {sz['www_wasm']:,} / {sz['www_wasm_gz']:,} |",
        "",
        "## Cost per million tokens",
        "",
        "AWS list prices (us-east-1; see `PRICES` in `scripts/bench.py`), free tiers ignored. Lambda at",
        f"128 MB for the sequential p50 above rounded up to whole ms ({c['billed_ms']:.0f} ms). Real DynamoDB and",
        "KMS answer slower than moto on this machine (not measured here); every further 10 ms of",
        f"duration adds ${10 * 125 * PRICES['lambda_gb_second_arm']:.4f} (arm64) or ${10 * 125 * PRICES['lambda_gb_second_x86']:.4f} (x86_64) per million tokens.",
        "",
        "| item | arithmetic | $ per million tokens |",
        "|---|---|---|",
        f"| Lambda, arm64 | $0.20 requests + 1M × 0.125 GB × {c['billed_ms']:.0f} ms = {c['gb_s']:,.0f} GB-s × ${PRICES['lambda_gb_second_arm']} | {c['lambda_arm']:.3f} |",
        f"| (Lambda, x86_64) | $0.20 + {c['gb_s']:,.0f} GB-s × ${PRICES['lambda_gb_second_x86']} | ({c['lambda_x86']:.3f}) |",
        f"| DynamoDB on-demand | 1 Query × 0.5 RRU (eventually consistent, ≤ 4 KB) × ${PRICES['dynamodb_rru_per_million']}/M RRU | {c['dynamodb']:.4f} |",
        f"| KMS Sign, RSA-2048 | 1M / 10,000 × ${PRICES['kms_per_10k']} | {c['kms']:.2f} |",
        f"| API Gateway HTTP API | ${PRICES['http_api_per_million']}/M | {PRICES['http_api_per_million']:.2f} |",
        f"| API Gateway REST API | ${PRICES['rest_api_per_million']}/M | {PRICES['rest_api_per_million']:.2f} |",
        f"| **total with HTTP API** | | **{c['http_total']:.2f}** |",
        f"| **total with REST API** | | **{c['rest_total']:.2f}** |",
        "",
        "KMS and API Gateway are nearly all of it; the function's own share is a few cents.",
        "",
        "## Fuzzing",
        "",
    ]
    if fuzz:
        lines += [
            f"`make fuzz` ({fuzz['date']}, {fuzz['toolchain']}), libFuzzer with AddressSanitizer, seeded from",
            "the behaviour table and the recorded gateway events (`fuzz/seed-corpus.py`):",
            "",
            "| target | executions | seconds | exec/s | edges covered | corpus | crashes |",
            "|---|---|---|---|---|---|---|",
            *[f"| `{t}` | {r['executions']:,} | {r['seconds']} | {r['executions_per_second']:,} | {r['coverage_edges']} | {r['corpus_entries']} | {r['crashes']} |"
              for t, r in fuzz["targets"].items()],
            "",
            "`steps` drives the whole step loop with an arbitrary request, arbitrary stored items, an",
            "arbitrary signature (or one of the right length) and injected backend failures, and checks",
            "every response (status set, JSON bodies, no token in an error, 401 with WWW-Authenticate,",
            "503 with Retry-After, a token only after a signature, claims naming the loaded client).",
            "`gateway_event` feeds arbitrary API Gateway events through core's event parser and endpoint.",
        ]
    else:
        lines.append("No `fuzz/last-run.json`: run `make fuzz`.")
    return "\n".join(lines) + "\n"


CALL_TOKENS = 100
SEQ_REQUESTS = 500


def main():
    if not shutil.which("oha"):
        sys.exit("bench: oha is missing (make bench installs it)")
    m = machine()
    crit = core_benches()
    sz = sizes()

    log("starting the local stack (make up) with the release bootstrap")
    make("down")
    make("up", env={"BOOTSTRAP": str(BOOTSTRAP), "MOTO_ENABLE_RECORDING": "1",
                    "MOTO_RECORDER_FILEPATH": str(ROOT / ".run/moto-recording"), **SERVER_ENV})
    try:
        pid = int((ROOT / ".run/bootstrap.pid").read_text())
        oha(200, 8)  # warm: key loaded, connections open
        load = load_runs(pid)
        rss = peak_rss_kb(pid)
        log("sequential requests")
        s = oha(SEQ_REQUESTS, 1)
        seq = {"p50_ms": s["latencyPercentiles"]["p50"] * 1000, "p99_ms": s["latencyPercentiles"]["p99"] * 1000}
        log("counting AWS calls")
        calls_native = recorded_calls(CALL_TOKENS, issue_native)
        calls_node = recorded_calls(CALL_TOKENS, issue_node)
        native, node = cold_starts()
    finally:
        make("down")

    fuzz_file = ROOT / "fuzz/last-run.json"
    fuzz = json.loads(fuzz_file.read_text()) if fuzz_file.exists() else None
    reads = calls_native.get("DynamoDB_20120810.Query", 0) / CALL_TOKENS
    signs = calls_native.get("TrentService.Sign", 0) / CALL_TOKENS
    c = cost(seq["p50_ms"], reads, signs)
    text = report(m, crit, load, rss, calls_native, calls_node, seq, native, node, sz, fuzz, c)
    (ROOT / "BENCHMARKS.md").write_text(text)
    (ROOT / "build/bench/results.json").write_text(json.dumps(
        {"machine": m, "criterion_ns": crit, "load": load, "peak_rss_kb": rss, "sequential": seq,
         "calls_native": calls_native, "calls_node": calls_node, "cold_native_ms": native,
         "cold_node_ms": node, "sizes": sz, "cost": c}, indent=2))
    print(text)


if __name__ == "__main__":
    main()
