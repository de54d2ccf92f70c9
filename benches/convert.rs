//! `cargo bench`: parse-only (the swc baseline) against the whole in-process conversion.
//!
//! By default it runs over the rules of `../shared/corpus` (129 files, held in memory) and takes
//! under a minute:
//!
//! - criterion benchmarks: `corpus/parse_only`, `corpus/convert` (throughput in bytes) and
//!   `one_file/convert_*` (the median-sized and the largest corpus file);
//! - then a summary measured in the same run by interleaving rounds (parse every file, convert
//!   every file, …), so that a change of machine load touches both sides alike: MB/s, files/s, and
//!   the ratio convert / parse-only as the median of the per-round ratios.
//!
//! Environment (used by `scripts/bench.sh`):
//! - `R2A_BENCH_CORPUS=<dir>`: the `.js` files under this folder instead of the shared corpus;
//! - `R2A_BENCH_SUMMARY_ONLY=1`: skip criterion, print only the interleaved summary;
//! - `R2A_BENCH_ROUNDS=<n>`: rounds of the summary (default 15 on the shared corpus, 5 otherwise);
//! - `R2A_BENCH_THREADS=<n>`: also convert with a rayon pool of n threads in the summary (0 = no);
//! - `R2A_BENCH_DISCOVER=<dir>`: also time `check`'s discovery of that folder (the walk, on one
//!   thread, and the deploy-cli metadata, read on rayon's global pool).
//!
//! The summary ends with `BENCH key=value` lines that the script reads.
//! No timing is asserted anywhere: the numbers are the record (see BENCHMARKS.md).

use criterion::{criterion_group, Criterion, Throughput};
use rayon::prelude::*;
use rules2actions::{convert, parse::parse, placeholders::mask, Limits};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

// The allocator of the `rules2actions` binary, so that both sides are measured as the tool runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Rule {
    /// The file's text, as `convert` gets it.
    text: String,
    /// The placeholder-masked text, as the parser gets it inside `convert`.
    masked: String,
}

struct Corpus {
    root: PathBuf,
    rules: Vec<Rule>,
    bytes: usize,
}

fn js_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            js_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "js") {
            out.push(path);
        }
    }
}

fn load() -> Corpus {
    let root = std::env::var_os("R2A_BENCH_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    let mut paths = Vec::new();
    js_files(&root, &mut paths);
    let rules: Vec<Rule> = paths
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .map(|text| Rule {
            masked: mask(&text).text,
            text,
        })
        .collect();
    assert!(!rules.is_empty(), "no .js file under {}", root.display());
    let bytes = rules.iter().map(|r| r.text.len()).sum();
    Corpus { root, rules, bytes }
}

fn parse_all(rules: &[Rule]) -> usize {
    rules
        .iter()
        .filter(|r| black_box(parse(black_box(&r.masked))).is_ok())
        .count()
}

fn convert_all(rules: &[Rule], limits: &Limits) -> usize {
    rules
        .iter()
        .filter(|r| black_box(convert(black_box(&r.text), limits)).action.is_some())
        .count()
}

fn convert_par(pool: &rayon::ThreadPool, rules: &[Rule], limits: &Limits) -> usize {
    pool.install(|| {
        rules
            .par_iter()
            .filter(|r| black_box(convert(black_box(&r.text), limits)).action.is_some())
            .count()
    })
}

fn criterion_benches(c: &mut Criterion) {
    let corpus = load();
    let limits = Limits::default();
    let mut group = c.benchmark_group("corpus");
    group.throughput(Throughput::Bytes(corpus.bytes as u64));
    group.sample_size(20).measurement_time(Duration::from_secs(5));
    group.bench_function("parse_only", |b| b.iter(|| parse_all(&corpus.rules)));
    group.bench_function("convert", |b| b.iter(|| convert_all(&corpus.rules, &limits)));
    group.finish();

    let mut by_size: Vec<&Rule> = corpus.rules.iter().collect();
    by_size.sort_by_key(|r| r.text.len());
    let median = by_size[by_size.len() / 2];
    let largest = by_size[by_size.len() - 1];
    let mut group = c.benchmark_group("one_file");
    group.measurement_time(Duration::from_secs(3));
    for (name, rule) in [("convert_median", median), ("convert_largest", largest)] {
        group.throughput(Throughput::Bytes(rule.text.len() as u64));
        group.bench_function(format!("{name}_{}B", rule.text.len()), |b| {
            b.iter(|| convert(black_box(&rule.text), &limits))
        });
    }
    group.finish();
}

criterion_group!(benches, criterion_benches);

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn timed(work: impl FnOnce() -> usize) -> (f64, usize) {
    let start = Instant::now();
    let out = work();
    (start.elapsed().as_secs_f64(), out)
}

/// Interleaved rounds, one thread (plus an optional pool): the figures of BENCHMARKS.md.
fn summary() {
    let corpus = load();
    let limits = Limits::default();
    let default_rounds = if std::env::var_os("R2A_BENCH_CORPUS").is_some() {
        5
    } else {
        15
    };
    let rounds: usize = std::env::var("R2A_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_rounds)
        .max(1);
    let threads: usize = std::env::var("R2A_BENCH_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let pool = (threads > 0).then(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .stack_size(256 * 1024 * 1024)
            .build()
            .expect("a rayon pool")
    });
    let files = corpus.rules.len();
    let mb = corpus.bytes as f64 / 1e6;
    println!(
        "\nsummary: {files} files, {:.2} MB from {}, {rounds} interleaved rounds (median)",
        mb,
        corpus.root.display()
    );

    // Warm-up: one pass of each, and the outcome counts for the record.
    let parsed = parse_all(&corpus.rules);
    let converted = convert_all(&corpus.rules, &limits);

    let (mut parse_t, mut convert_t, mut ratios, mut par_t) = (vec![], vec![], vec![], vec![]);
    for _ in 0..rounds {
        let (p, _) = timed(|| parse_all(&corpus.rules));
        let (c, _) = timed(|| convert_all(&corpus.rules, &limits));
        parse_t.push(p);
        convert_t.push(c);
        ratios.push(p / c);
        if let Some(pool) = &pool {
            par_t.push(timed(|| convert_par(pool, &corpus.rules, &limits)).0);
        }
    }
    let (min_ratio, max_ratio) = ratios
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), &r| (lo.min(r), hi.max(r)));
    let p = median(&mut parse_t);
    let c = median(&mut convert_t);
    let ratio = median(&mut ratios);
    let row = |name: &str, secs: f64| {
        println!(
            "  {name:<28} {:>9.1} ms {:>8.1} MB/s {:>9.0} files/s {:>8.1} µs/file",
            secs * 1e3,
            mb / secs,
            files as f64 / secs,
            secs * 1e6 / files as f64
        )
    };
    row("parse only (1 thread)", p);
    row("convert (1 thread)", c);
    println!("  files that parse: {parsed}/{files}; converted (an Action produced): {converted}/{files}");
    println!(
        "  convert / parse-only throughput: {:.1}% (median of per-round ratios; range {:.1}%–{:.1}%); target ≥ 50%: {}",
        ratio * 100.0,
        min_ratio * 100.0,
        max_ratio * 100.0,
        if ratio >= 0.5 { "met" } else { "MISSED" }
    );
    println!(
        "  convert costs {:.2} parse-only passes (it parses at least twice: the rule, then the Action)",
        c / p
    );
    println!("BENCH files={files} bytes={} rounds={rounds}", corpus.bytes);
    println!(
        "BENCH parse_ms={:.3} parse_mbs={:.2} parse_fps={:.0}",
        p * 1e3,
        mb / p,
        files as f64 / p
    );
    println!(
        "BENCH convert_ms={:.3} convert_mbs={:.2} convert_fps={:.0} ratio={:.4} ratio_min={:.4} ratio_max={:.4}",
        c * 1e3,
        mb / c,
        files as f64 / c,
        ratio,
        min_ratio,
        max_ratio
    );
    if let Some(dir) = std::env::var_os("R2A_BENCH_DISCOVER") {
        let dirs = [PathBuf::from(dir)];
        let dir = &dirs[0];
        let mut times: Vec<f64> = (0..rounds.max(3))
            .map(|_| timed(|| rules2actions::lint::discover::discover(&dirs).candidates.len()).0)
            .collect();
        let found = rules2actions::lint::discover::discover(&dirs).candidates.len();
        let t = median(&mut times);
        row("discover (walk + metadata)", t);
        println!("  discovery found {found} candidates in {}", dir.display());
        println!("BENCH discover_ms={:.3} discover_candidates={found}", t * 1e3);
    }
    if !par_t.is_empty() {
        let t = median(&mut par_t);
        row(&format!("convert ({threads} threads, rayon)"), t);
        println!("  in-process speedup 1 → {threads} threads: {:.2}×", c / t);
        println!(
            "BENCH convert_par_threads={threads} convert_par_ms={:.3} convert_par_mbs={:.2} inproc_speedup={:.3}",
            t * 1e3,
            mb / t,
            c / t
        );
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not, and then criterion runs
    // each benchmark once as a smoke test and the summary is skipped.
    let benchmarking = std::env::args().any(|a| a == "--bench");
    if std::env::var_os("R2A_BENCH_SUMMARY_ONLY").is_none_or(|v| v != "1") {
        benches();
        Criterion::default().configure_from_args().final_summary();
    }
    if benchmarking {
        summary();
    }
}
