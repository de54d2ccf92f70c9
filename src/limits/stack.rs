//! Running a conversion on a thread whose stack is large enough for deeply nested (but accepted)
//! code: swc recurses while parsing, visiting, printing and dropping trees, and a stack overflow
//! aborts the whole process.

/// Size of the stack `with_large_stack` gives each conversion. Stack pages cost nothing until they
/// are touched, so this is address space, not memory.
pub const LARGE_STACK: usize = 256 * 1024 * 1024;

/// Runs `work` on a thread with a stack large enough for deeply nested (but accepted) code:
/// swc recurses while parsing, visiting and dropping trees, and an overflow aborts the process.
pub fn with_large_stack<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    on_large_stack(work).unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// Like `with_large_stack`, but a panic in `work` comes back as an error carrying the panic's
/// message instead of unwinding into the caller, so that one file tripping a bug (ours, or a debug
/// assertion inside swc: the fuzzer found one) does not end the run for the others. The default
/// panic hook still prints the panic on stderr.
pub fn with_large_stack_guarded<T: Send>(work: impl FnOnce() -> T + Send) -> Result<T, String> {
    on_large_stack(work).map_err(|panic| panic_message(&*panic))
}

/// Runs `work` on a scoped thread with a [`LARGE_STACK`]; its panic, if any, as `Err`.
fn on_large_stack<T: Send>(work: impl FnOnce() -> T + Send) -> std::thread::Result<T> {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(LARGE_STACK)
            .spawn_scoped(scope, work)
            .expect("spawning a conversion thread")
            .join()
    })
}

/// The message of a caught panic (`panic!("…")` gives a `&str` or a `String`).
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(message) = panic.downcast_ref::<&str>() {
        message.to_string()
    } else if let Some(message) = panic.downcast_ref::<String>() {
        message.clone()
    } else {
        "a panic without a message".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guarded_panic_comes_back_as_an_error() {
        assert_eq!(with_large_stack_guarded(|| 1 + 1), Ok(2));
        let error = with_large_stack_guarded(|| -> u8 { panic!("boom {}", 7) }).unwrap_err();
        assert_eq!(error, "boom 7");
    }
}
