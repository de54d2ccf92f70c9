fn main() {
    let code = rules2actions::cli::run(std::env::args_os());
    std::process::exit(code);
}
