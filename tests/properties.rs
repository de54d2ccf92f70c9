//! Property tests over generated rules (the grammar of `tests/hostile/grammar.rs`, shared with the
//! fuzz target): the conversion never panics nor reports an internal error, the Action parses,
//! converting it again changes nothing, and the same input gives the same output. The number of
//! cases is bounded so that CI stays fast; `PROPTEST_CASES=5000 cargo test --test properties`
//! runs more.

// `cfg(fuzzing)` (set by cargo fuzz) derives `arbitrary` for the grammar in the fuzz build only.
#![allow(unexpected_cfgs)]

#[path = "hostile/grammar.rs"]
mod grammar;
#[path = "hostile/oracle.rs"]
mod oracle;

use grammar::{Ending, ErrorKind, Rule, Shape, Stmt};
use proptest::prelude::*;
use rules2actions::limits::with_large_stack;
use rules2actions::{Limits, Status};

fn shape() -> impl Strategy<Value = Shape> {
    prop_oneof![
        4 => Just(Shape::Bare),
        2 => Just(Shape::Named),
        1 => Just(Shape::Async),
        1 => Just(Shape::ModuleExports),
        1 => Just(Shape::Exports),
    ]
}

fn ending() -> impl Strategy<Value = Ending> {
    prop_oneof![4 => Just(Ending::Lf), 1 => Just(Ending::Crlf), 1 => Just(Ending::Cr)]
}

fn error_kind() -> impl Strategy<Value = ErrorKind> {
    prop_oneof![
        Just(ErrorKind::Unauthorized),
        Just(ErrorKind::Error),
        Just(ErrorKind::Variable),
        Just(ErrorKind::StringLiteral),
    ]
}

/// Statements with no nested body.
fn leaf(snippets: bool) -> BoxedStrategy<Stmt> {
    let simple = prop_oneof![
        Just(Stmt::CallbackOk),
        Just(Stmt::ReturnCallbackOk),
        (error_kind(), any::<u8>()).prop_map(|(k, m)| Stmt::CallbackError(k, m)),
        any::<u8>().prop_map(Stmt::ReadUser),
        any::<u8>().prop_map(Stmt::ReadContext),
        (any::<u8>(), any::<u8>()).prop_map(|(f, v)| Stmt::WriteUser(f, v)),
        Just(Stmt::ShorthandUser),
        (any::<u8>(), any::<Option<bool>>(), any::<bool>()).prop_map(|(provider, remember, duo)| Stmt::Mfa {
            provider,
            remember,
            duo
        }),
        any::<u8>().prop_map(Stmt::MfaThroughObject),
        any::<u8>().prop_map(Stmt::Secret),
        (any::<u8>(), any::<u8>()).prop_map(|(a, b)| Stmt::DestructureSecrets(a, b)),
        (any::<u8>(), any::<u8>()).prop_map(|(p, v)| Stmt::Require(p, v)),
        (any::<u8>(), any::<u8>()).prop_map(|(k, v)| Stmt::IdTokenClaim(k, v)),
        (any::<u8>(), any::<bool>(), any::<bool>()).prop_map(|(key, text, in_string)| Stmt::Placeholder {
            key,
            text,
            in_string
        }),
        any::<u8>().prop_map(Stmt::Comment),
        any::<u8>().prop_map(Stmt::Log),
    ];
    if snippets {
        prop_oneof![8 => simple, 1 => any::<u8>().prop_map(Stmt::Snippet)].boxed()
    } else {
        simple.boxed()
    }
}

fn stmt(snippets: bool) -> impl Strategy<Value = Stmt> {
    leaf(snippets).prop_recursive(3, 24, 4, |inner| {
        let body = prop::collection::vec(inner, 0..4);
        prop_oneof![
            (any::<u8>(), body.clone(), prop::option::of(body.clone())).prop_map(|(user_field, then, otherwise)| {
                Stmt::If {
                    user_field,
                    then,
                    otherwise,
                }
            }),
            body.clone().prop_map(Stmt::Request),
            body.clone().prop_map(Stmt::Promise),
            body.clone().prop_map(Stmt::Timer),
            body.prop_map(Stmt::Shadow),
        ]
    })
}

/// A rule file; with `snippets`, also odd fragments, trailers and invalid code.
fn rule(snippets: bool) -> impl Strategy<Value = Rule> {
    (
        shape(),
        any::<bool>(),
        prop::collection::vec(stmt(snippets), 0..8),
        any::<bool>(),
        ending(),
        any::<bool>(),
        any::<bool>(),
        if snippets {
            prop::option::weighted(0.2, any::<u8>()).boxed()
        } else {
            Just(None).boxed()
        },
        any::<bool>(),
    )
        .prop_map(
            |(shape, renamed, body, final_callback, ending, bom, tabs, trailer, leading_comment)| Rule {
                shape,
                renamed,
                body,
                final_callback,
                ending,
                bom,
                tabs,
                trailer,
                leading_comment,
            },
        )
}

fn config() -> ProptestConfig {
    ProptestConfig {
        // Bounded for CI (debug build, two cores); PROPTEST_CASES overrides it.
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(256),
        // Shrinking a failure is worth a little time; the default 4096 iterations are not.
        max_shrink_iters: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// Well-formed rules always convert, and the Action holds every invariant.
    #[test]
    fn generated_rules_convert_and_hold_the_invariants(rule in rule(false)) {
        let text = rule.render();
        let conversion = with_large_stack(|| oracle::check(text.as_bytes(), &Limits::default()));
        prop_assert_eq!(conversion.status, Status::Converted, "{}\n{:?}", text, conversion.diagnostics);
    }

    /// With odd fragments, trailers and invalid code mixed in, nothing panics and every
    /// invariant still holds, whatever the status.
    #[test]
    fn rules_with_odd_fragments_hold_the_invariants(rule in rule(true)) {
        let text = rule.render();
        with_large_stack(|| oracle::check(text.as_bytes(), &Limits::default()));
    }

    /// Arbitrary bytes: no panic, and the invariants hold.
    #[test]
    fn arbitrary_bytes_hold_the_invariants(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        with_large_stack(|| oracle::check(&bytes, &Limits::default()));
    }

    /// A rule spliced with arbitrary text at an arbitrary place.
    #[test]
    fn spliced_rules_hold_the_invariants(rule in rule(false), at in any::<prop::sample::Index>(), insert in "\\PC{0,12}") {
        let mut text = rule.render();
        let mut offset = at.index(text.len() + 1);
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        text.insert_str(offset, &insert);
        with_large_stack(|| oracle::check(text.as_bytes(), &Limits::default()));
    }
}

/// Running conversions on several threads at once gives the same results as one at a time.
#[test]
fn results_do_not_depend_on_threads() {
    let texts: Vec<String> = (0..16u8)
        .map(|i| {
            Rule {
                shape: if i % 2 == 0 { Shape::Bare } else { Shape::Named },
                renamed: i % 3 == 0,
                body: vec![
                    Stmt::Mfa {
                        provider: i,
                        remember: None,
                        duo: i % 4 == 0,
                    },
                    Stmt::Request(vec![Stmt::IdTokenClaim(i, i), Stmt::CallbackOk]),
                    Stmt::Secret(i),
                    Stmt::Require(i, i),
                ],
                final_callback: false,
                ending: Ending::Lf,
                bom: false,
                tabs: false,
                trailer: None,
                leading_comment: false,
            }
            .render()
        })
        .collect();
    let limits = Limits::default();
    let sequential: Vec<String> = texts
        .iter()
        .map(|t| oracle::fingerprint(&with_large_stack(|| rules2actions::convert(t, &limits))))
        .collect();
    let parallel: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = texts
            .iter()
            .map(|t| scope.spawn(move || oracle::fingerprint(&with_large_stack(|| rules2actions::convert(t, &limits)))))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(sequential, parallel);
}
