#!/usr/bin/env bash
# make fuzz: each target for FUZZ_RUNS executions from the seed corpus, then a summary in
# fuzz/last-run.json (what BENCHMARKS.md reports). A crash stops with libFuzzer's reproducer
# in fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")"
runs="${FUZZ_RUNS:-10000000}"
targets="${FUZZ_TARGETS:-steps gateway_event}"
python3 seed-corpus.py
mkdir -p logs
for target in $targets; do
  echo "fuzz: $target, $runs executions"
  start=$(date +%s)
  cargo +nightly fuzz run -O "$target" "corpus/$target" -- \
    -runs="$runs" -max_len=4096 -print_final_stats=1 >"logs/$target.log" 2>&1 || {
    tail -n 40 "logs/$target.log"; echo "fuzz: $target failed; reproducer in fuzz/artifacts/$target/"; exit 1; }
  echo "$target $(($(date +%s) - start))" >>logs/durations
  grep -E '^stat::number_of_executed_units|^Done' "logs/$target.log"
done
python3 - "$targets" <<'PY'
import json, re, subprocess, sys, datetime, pathlib
out = {"date": datetime.date.today().isoformat(),
       "toolchain": subprocess.run(["rustc", "+nightly", "--version"], capture_output=True, text=True).stdout.strip(),
       "targets": {}}
for target in sys.argv[1].split():
    log = pathlib.Path(f"logs/{target}.log").read_text(errors="replace")
    stat = lambda name: int(re.search(rf"^stat::{name}:\s+(\d+)", log, re.M).group(1))
    done = re.search(r"^Done (\d+) runs in (\d+) second", log, re.M)
    cov = re.findall(r"cov: (\d+) ft: (\d+) corp: (\d+)", log)
    out["targets"][target] = {
        "executions": stat("number_of_executed_units"),
        "seconds": int(done.group(2)),
        "executions_per_second": stat("average_exec_per_sec"),
        "peak_rss_mb": stat("peak_rss_mb"),
        "coverage_edges": int(cov[-1][0]), "features": int(cov[-1][1]), "corpus_entries": int(cov[-1][2]),
        "crashes": 0,
    }
pathlib.Path("last-run.json").write_text(json.dumps(out, indent=2) + "\n")
print(json.dumps(out, indent=2))
PY
