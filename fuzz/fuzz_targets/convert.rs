//! Feeds the conversion core either raw bytes or a rule built from the grammar in
//! `tests/hostile/grammar.rs`, chosen by the fuzzer's first byte, and checks the invariants of
//! `tests/hostile/oracle.rs`: no panic, no internal error, the Action parses, converting it again
//! changes nothing, and the same input gives the same result.
//!
//! cargo +nightly fuzz run convert -- -jobs=1 -workers=1 -max_total_time=1800

#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use rules2actions::limits::with_large_stack;
use rules2actions::Limits;

#[path = "../../tests/hostile/grammar.rs"]
mod grammar;
#[path = "../../tests/hostile/oracle.rs"]
mod oracle;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let limits = Limits::default();
    // Mode bits: 0 raw bytes; 1 a generated rule; 2 a generated rule with a raw tail or splice.
    let bytes: Vec<u8> = match mode % 3 {
        0 => rest.to_vec(),
        mode => {
            let mut unstructured = Unstructured::new(rest);
            let Ok(rule) = grammar::Rule::arbitrary(&mut unstructured) else {
                return;
            };
            let mut text = rule.render().into_bytes();
            if mode == 2 {
                // Splice the leftover bytes into the rule at a position they choose.
                let tail = unstructured.take_rest();
                if let Some((&at, tail)) = tail.split_first() {
                    let at = (at as usize * text.len()) / 256;
                    text.splice(at..at, tail.iter().copied());
                }
            }
            text
        }
    };
    with_large_stack(|| {
        oracle::check(&bytes, &limits);
    });
});
