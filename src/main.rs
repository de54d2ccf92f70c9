// Conversion allocates many small, short-lived nodes and strings; mimalloc serves them at a
// fraction of glibc malloc's cost (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let code = rules2actions::cli::run(std::env::args_os());
    std::process::exit(code);
}
