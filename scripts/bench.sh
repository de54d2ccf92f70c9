#!/usr/bin/env bash
# The benchmark of GitHub issue 8, in one run (see BENCHMARKS.md):
#
#   scripts/bench.sh [--files N] [--runs R] [--corpus DIR] [--out FILE] [--keep]
#
# 1. builds the release binary and the `convert` bench;
# 2. replicates the rules of ../shared/corpus into a deploy-cli directory export of N rules
#    (default 10,000) in a temporary folder: rules/<Name>.js + rules/<Name>.json;
# 3. measures, in this one run:
#    - in process, one thread, files in memory: swc parse-only (the baseline) and convert of each
#      file, interleaved rounds, and convert on a 2-thread rayon pool;
#    - as processes: `check <export> --format json` and `migrate <export> --out <dir> --force`
#      with RAYON_NUM_THREADS=1 and =2 (runs interleaved), wall time and peak RSS;
#      `check` again over N/10 rules, to see whether peak memory grows with the number of files;
#      `convert --stdout` of one file (the median-sized and the largest corpus rule);
# 4. prints a markdown table: MB/s, files/s, ratio to parse-only, peak memory, 1 → 2 threads.
#
# Every figure is the median of R runs (default 5; one-file convert: 4×R) after one warm-up run,
# with the files in the page cache. Needs GNU time (/usr/bin/time; `apt-get install -y time`).
# Take the figures on an otherwise idle machine: the 2-thread speedup needs both cores.
# Nothing is written into the repository unless --out names a file there.
set -euo pipefail

FILES=10000
RUNS=5
KEEP=0
OUT=""
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CORPUS="$ROOT/../shared/corpus"

while [ $# -gt 0 ]; do
  case "$1" in
    --files) FILES="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    --corpus) CORPUS="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

TIME=/usr/bin/time
if ! "$TIME" -f '%M' true >/dev/null 2>&1; then
  echo "bench.sh: GNU time is needed for peak memory: apt-get install -y time" >&2
  exit 2
fi
[ -d "$CORPUS" ] || { echo "bench.sh: no corpus at $CORPUS (use --corpus DIR)" >&2; exit 2; }

if pgrep -f 'cargo-fuzz|fuzz run|libfuzzer' >/dev/null 2>&1; then
  echo "bench.sh: warning: a fuzzer is running; thread speedups will be understated" >&2
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/r2a-bench.XXXXXX")"
cleanup() { if [ "$KEEP" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi; }
trap cleanup EXIT

log() { echo "bench.sh: $*" >&2; }

# ---------------------------------------------------------------------------------------------
log "building (release)"
(cd "$ROOT" && cargo build --release --quiet && cargo bench --bench convert --no-run --quiet)
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/rules2actions"
[ -x "$BIN" ] || { echo "bench.sh: no binary at $BIN" >&2; exit 2; }

# ---------------------------------------------------------------------------------------------
# Synthetic export: the corpus rules round-robin, byte for byte, each under a unique name.
make_export() { # make_export <dir> <count>
  local dir="$1" count="$2"
  mkdir -p "$dir/rules"
  mapfile -t sources < <(find "$CORPUS" -name '*.js' -type f | LC_ALL=C sort)
  local n=${#sources[@]} i src stem name
  for ((i = 0; i < count; i++)); do
    src="${sources[$((i % n))]}"
    stem="$(basename "$src" .js)"
    stem="${stem//[^A-Za-z0-9-]/-}"
    name="$(printf 'r%05d-%s' "$i" "$stem")"
    cp "$src" "$dir/rules/$name.js"
    printf '{"name":"%s","enabled":true,"order":%d,"stage":"login_success","script":"./%s.js"}\n' \
      "$name" "$((i + 1))" "$name" >"$dir/rules/$name.json"
  done
}

SMALL=$((FILES / 10)); [ "$SMALL" -ge 1 ] || SMALL=1
log "generating $FILES rules (and $SMALL) under $WORK"
make_export "$WORK/export" "$FILES"
make_export "$WORK/export-small" "$SMALL"
BYTES=$(find "$WORK/export/rules" -name '*.js' -printf '%s\n' | awk '{s += $1} END {print s}')
SMALL_BYTES=$(find "$WORK/export-small/rules" -name '*.js' -printf '%s\n' | awk '{s += $1} END {print s}')

# The median-sized and the largest corpus rule, for the one-file runs.
mapfile -t BY_SIZE < <(find "$CORPUS" -name '*.js' -type f -printf '%s %p\n' | sort -n | cut -d' ' -f2-)
ONE_MEDIAN="${BY_SIZE[$((${#BY_SIZE[@]} / 2))]}"
ONE_LARGEST="${BY_SIZE[$((${#BY_SIZE[@]} - 1))]}"

# ---------------------------------------------------------------------------------------------
median() { sort -g | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# run_once <label> <threads> <cmd...>: appends "label seconds peak_kib cpu%" to $WORK/samples.
# The output folder of migrate is removed before each run (not timed): every run writes a new one.
run_once() {
  local label="$1" threads="$2"; shift 2
  local start end status
  [ "${KEEP_OUT:-0}" = 1 ] || rm -rf "$WORK/out"
  start=$(date +%s%N)
  set +e
  RAYON_NUM_THREADS="$threads" "$TIME" -f '%M %P' -o "$WORK/rss" "$@" >/dev/null 2>"$WORK/stderr"
  status=$?
  set -e
  end=$(date +%s%N)
  if [ "$status" -gt 1 ]; then
    log "$label failed (exit $status): $*"
    sed 's/^/    /' "$WORK/stderr" | head -20 >&2
    echo "$label FAILED FAILED FAILED" >>"$WORK/samples"
    return 0
  fi
  echo "$label $(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.6f", (b - a) / 1e9}') $(tail -1 "$WORK/rss")" \
    >>"$WORK/samples"
}
med_of() { # med_of <label> <column 2=seconds 3=kib 4=cpu%>
  if grep -q "^$1 FAILED" "$WORK/samples"; then echo FAILED; return; fi
  awk -v l="$1" -v c="$2" '$1 == l {sub("%", "", $c); print $c}' "$WORK/samples" | median
}
: >"$WORK/samples"

# ---------------------------------------------------------------------------------------------
log "in process: parse-only vs convert over $FILES files ($RUNS interleaved rounds)"
(cd "$ROOT" && R2A_BENCH_CORPUS="$WORK/export/rules" R2A_BENCH_DISCOVER="$WORK/export" R2A_BENCH_SUMMARY_ONLY=1 R2A_BENCH_THREADS=2 \
  R2A_BENCH_ROUNDS="$RUNS" cargo bench --quiet --bench convert 2>/dev/null) | tee "$WORK/inproc" | grep -v '^BENCH' >&2
val() { grep -o "\b$1=[^ ]*" "$WORK/inproc" | head -1 | cut -d= -f2; }
PARSE_S=$(awk -v ms="$(val parse_ms)" 'BEGIN {print ms / 1000}')
CONVERT_S=$(awk -v ms="$(val convert_ms)" 'BEGIN {print ms / 1000}')
CONVERT2_S=$(awk -v ms="$(val convert_par_ms)" 'BEGIN {print ms / 1000}')
RATIO=$(val ratio)

rm -rf "$WORK/out"
CHECK=("$BIN" check "$WORK/export" --format json)
CHECK_SMALL=("$BIN" check "$WORK/export-small" --format json)
MIGRATE=("$BIN" migrate "$WORK/export" --out "$WORK/out")

log "processes: warm-up"
run_once warm 2 "${CHECK[@]}"
run_once warm 2 "${MIGRATE[@]}"
for ((r = 1; r <= RUNS; r++)); do
  log "processes: round $r/$RUNS"
  run_once check1 1 "${CHECK[@]}"
  run_once check2 2 "${CHECK[@]}"
  run_once check_small2 2 "${CHECK_SMALL[@]}"
  run_once migrate1 1 "${MIGRATE[@]}"
  run_once migrate2 2 "${MIGRATE[@]}"
done
log "migrate --force into the existing output of a previous run (1 run: one fsync per file)"
run_once warm 2 "${MIGRATE[@]}"
KEEP_OUT=1 run_once migrate_force2 2 "${MIGRATE[@]}" --force
log "one-file convert ($((RUNS * 4)) runs each)"
run_once warm 2 "$BIN" convert --stdout "$ONE_MEDIAN"
for ((r = 1; r <= RUNS * 4; r++)); do
  run_once one_median 2 "$BIN" convert --stdout "$ONE_MEDIAN"
  run_once one_largest 2 "$BIN" convert --stdout "$ONE_LARGEST"
done

# ---------------------------------------------------------------------------------------------
CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
REPORT="$WORK/report.md"
{
  echo "Machine: $CPU, $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo) RAM,"
  echo "$(uname -sr), $(rustc -V | cut -d' ' -f1-2); load average before: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "Corpus: $FILES rules replicated from $(find "$CORPUS" -name '*.js' -type f | wc -l) corpus files,"
  echo "$(awk -v b="$BYTES" 'BEGIN {printf "%.1f MB", b / 1e6}'); medians of $RUNS runs (one-file: $((RUNS * 4))), warm page cache."
  echo
  echo "| measurement | threads | median wall | MB/s | files/s | vs parse-only | peak RSS | CPU |"
  echo "|---|---|---|---|---|---|---|---|"
  row() { # row <name> <threads> <seconds> <files> <bytes> <kib or -> [cpu% or -]
    awk -v n="$1" -v t="$2" -v s="$3" -v f="$4" -v b="$5" -v k="$6" -v c="${7:--}" -v p="$PARSE_S" -v pb="$BYTES" 'BEGIN {
      if (s == "FAILED") { printf "| %s | %s | failed | | | | | |\n", n, t; exit }
      mbs = b / 1e6 / s; base = pb / 1e6 / p
      wall = (s < 1) ? sprintf("%.1f ms", s * 1000) : sprintf("%.2f s", s)
      mem = (k == "-") ? "-" : sprintf("%.1f MB", k / 1024)
      cpu = (c == "-") ? "-" : sprintf("%d%%", c)
      printf "| %s | %s | %s | %.1f | %.0f | %.0f%% | %s | %s |\n", n, t, wall, mbs, f / s, 100 * mbs / base, mem, cpu }'
  }
  proc_row() { # proc_row <name> <threads> <label> <files> <bytes>
    row "$1" "$2" "$(med_of "$3" 2)" "$4" "$5" "$(med_of "$3" 3)" "$(med_of "$3" 4)"
  }
  row "swc parse-only, in process (baseline)" 1 "$PARSE_S" "$FILES" "$BYTES" -
  row "convert, in process" 1 "$CONVERT_S" "$FILES" "$BYTES" -
  row "convert, in process (rayon)" 2 "$CONVERT2_S" "$FILES" "$BYTES" -
  row "discovery only (walk + metadata), in process" 1 "$(awk -v ms="$(val discover_ms)" 'BEGIN {print ms / 1000}')" "$FILES" "$BYTES" -
  proc_row "\`check --format json\` process" 1 check1 "$FILES" "$BYTES"
  proc_row "\`check --format json\` process" 2 check2 "$FILES" "$BYTES"
  proc_row "\`check --format json\` process, $SMALL files" 2 check_small2 "$SMALL" "$SMALL_BYTES"
  proc_row "\`migrate\` process, new output folder" 1 migrate1 "$FILES" "$BYTES"
  proc_row "\`migrate\` process, new output folder" 2 migrate2 "$FILES" "$BYTES"
  proc_row "\`migrate --force\` into an existing output (1 run)" 2 migrate_force2 "$FILES" "$BYTES"
  proc_row "\`convert --stdout\`, one $(stat -c %s "$ONE_MEDIAN") B file" - one_median 1 "$(stat -c %s "$ONE_MEDIAN")"
  proc_row "\`convert --stdout\`, one $(stat -c %s "$ONE_LARGEST") B file" - one_largest 1 "$(stat -c %s "$ONE_LARGEST")"
  echo
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "FAILED" || b == "FAILED") print "n/a"; else printf "%.2f", a / b}'; }
  verdict() { awk -v v="$1" -v t="$2" -v dir="$3" 'BEGIN {if (v == "n/a") print "not measured"; else if ((dir == ">=" && v >= t) || (dir == "<" && v < t)) print "met"; else print "MISSED"}'; }
  CHECK_SPEEDUP=$(ratio "$(med_of check1 2)" "$(med_of check2 2)")
  MIGRATE_SPEEDUP=$(ratio "$(med_of migrate1 2)" "$(med_of migrate2 2)")
  CHECK_MB=$(awk -v k="$(med_of check2 3)" 'BEGIN {printf "%.1f", k / 1024}')
  SMALL_MB=$(awk -v k="$(med_of check_small2 3)" 'BEGIN {printf "%.1f", k / 1024}')
  ONE_MS=$(awk -v s="$(med_of one_largest 2)" 'BEGIN {printf "%.1f", s * 1000}')
  echo "| target | figure | verdict |"
  echo "|---|---|---|"
  echo "| convert ≥ 50% of parse-only throughput (same run) | $(awk -v r="$RATIO" 'BEGIN {printf "%.0f%%", r * 100}') (median of per-round ratios) | $(verdict "$RATIO" 0.5 '>=') |"
  echo "| \`check\` 1 → 2 threads ≥ 1.7× | ${CHECK_SPEEDUP}× (in process convert: $(val inproc_speedup | awk '{printf "%.2f", $1}')×; \`migrate\`: ${MIGRATE_SPEEDUP}×) | $(verdict "$CHECK_SPEEDUP" 1.7 '>=') |"
  GROWTH=$(ratio "$(med_of check2 3)" "$(med_of check_small2 3)")
  MIGRATE_MB=$(awk -v k="$(med_of migrate2 3)" 'BEGIN {printf "%.1f", k / 1024}')
  echo "| \`check\` peak memory < 100 MB for $FILES files | $CHECK_MB MB (\`migrate\`: $MIGRATE_MB MB) | $(verdict "$CHECK_MB" 100 '<') |"
  echo "| \`check\` peak memory flat in the number of files | ${GROWTH}× from $SMALL to $FILES files ($SMALL_MB → $CHECK_MB MB) | $(verdict "$GROWTH" 1.5 '<') |"
  echo "| one-file \`convert\` < 20 ms wall | $ONE_MS ms (largest corpus rule; median-sized: $(awk -v s="$(med_of one_median 2)" 'BEGIN {printf "%.1f", s * 1000}') ms) | $(verdict "$ONE_MS" 20 '<') |"
} >"$REPORT"

echo
cat "$REPORT"
if [ -n "$OUT" ]; then cp "$REPORT" "$OUT"; log "report written to $OUT"; fi
