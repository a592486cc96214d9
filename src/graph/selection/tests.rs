//! Selection semantics, from dg-reference §7.2's table (verified against Dagster in-process on
//! the graph a → b → pre/c → d, ext → e), plus the workspace-level additions.

use super::*;
use crate::graph::test_support::*;
use proptest::prelude::*;
use std::sync::LazyLock;

/// a → b → pre/c → d and ext → e, with ext external (only a stub declares it).
fn reference_graph() -> AssetGraph {
    let mut a = asset("a", &[]);
    a.group_name = Some("g1".into());
    a.kinds = vec!["python".into()];
    a.owners = vec!["team:x".into()];
    let mut b = asset("b", &["a"]);
    b.group_name = Some("g1".into());
    b.tags.insert("t".into(), "v".into());
    b.kinds = vec!["python".into(), "dbt".into()];
    let mut c = asset("pre/c", &["b"]);
    c.group_name = Some("g2".into());
    c.tags.insert("t".into(), String::new());
    c.owners = vec!["me@x.com".into()];
    let mut d = asset("d", &["pre/c"]);
    d.group_name = Some("g2".into());
    let e = asset("e", &["ext"]);
    let mut m = manifest("loc1", vec![a, b, c, d, e, stub("ext")]);
    m.jobs.push(crate::manifest::schema::JobDef {
        name: "the_job".into(),
        description: None,
        asset_keys: vec![vec!["a".into()], vec!["b".into()]],
        dg_source: None,
    });
    m.schedules.push(crate::manifest::schema::ScheduleDef {
        name: "nightly".into(),
        cron_schedule: "0 2 * * *".into(),
        job_name: Some("the_job".into()),
        dg_source: None,
    });
    AssetGraph::build(vec![("loc1".into(), m)])
}

static REFERENCE: LazyLock<AssetGraph> = LazyLock::new(reference_graph);
static TWO: LazyLock<AssetGraph> = LazyLock::new(|| AssetGraph::build(two_locations()));

fn select(graph: &AssetGraph, input: &str) -> Result<String, SelectionError> {
    let keys = parse(input)?.evaluate_keys(graph)?;
    Ok(keys
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(","))
}

fn check(input: &str, expected: &str) {
    match select(&REFERENCE, input) {
        Ok(got) => assert_eq!(got, expected, "selection `{input}`"),
        Err(e) => panic!("`{input}` failed:\n{}", e.caret_display(input)),
    }
}

#[test]
fn reference_table() {
    let table = [
        // bare `+` is unlimited depth
        ("+key:pre/c", "a,b,pre/c"),
        ("key:pre/c+", "d,pre/c"),
        // digits are depths
        ("2+key:d", "b,d,pre/c"),
        ("1+key:pre/c+1", "b,d,pre/c"),
        ("key:a+1", "a,b"),
        // globs and quotes
        ("key:pre/*", "pre/c"),
        (r#"key:"pre/c""#, "pre/c"),
        ("key:*", ""), // placeholder, replaced below: `key:*` is a syntax error
        // attributes
        ("group:g1", "a,b"),
        ("kind:python", "a,b"),
        ("tag:t=v", "b"),
        ("tag:t", "pre/c"), // only the tag with value "", not "has tag t"
        (r#"owner:"team:x""#, "a"),
        (r#"owner:"me@x.com""#, "pre/c"),
        // sinks/roots within the inner selection (see the note on e below)
        ("sinks(*)", "d,e"),
        ("roots(*)", "a,e"),
        ("sinks(group:g1)", "b"),
        ("roots(key:d)", "d"),
        // not = all materializable − x; `*` excludes externals
        ("not key:a", "b,d,e,pre/c"),
        ("*", "a,b,d,e,pre/c"),
        // externals are selectable explicitly; upstream traversal drops them
        ("key:ext", "ext"),
        ("is:external", "ext"),
        ("is:materializable", "a,b,d,e,pre/c"),
        ("+key:e", "e"),
        ("key:ext+", "e,ext"),
        ("+key:ext", ""),
        // precedence
        ("key:a and key:b or key:d", "d"),
        ("key:a or key:b and not key:b", "a"),
        ("not key:a and not key:b", "d,e,pre/c"),
        // `<null>` values
        ("kind:<null>", "d,e,pre/c"),
        ("group:<null>", ""),
        ("owner:<null>", "b,d,e,ext"),
        ("tag:t=<null>", "pre/c"),
        // static resolution of jobs and schedules
        ("job:the_job", "a,b"),
        ("schedule:nightly+1", "a,b,pre/c"),
        ("job:nope", ""),
        // code_location resolves at the workspace level
        (r#"code_location:loc1"#, "a,b,d,e,ext,pre/c"),
        ("code_location:<null>", "ext"),
        ("key:nope", ""),
    ];
    for (input, expected) in table {
        if input == "key:*" {
            assert!(select(&REFERENCE, input).is_err());
            continue;
        }
        check(input, expected);
    }
}

// In the reference table `sinks(*)` / `roots(*)` are `d` / `a`: those rows were verified
// before `ext → e` was part of the graph. With `e` materializable and only an external
// parent, Dagster's `fetch_sinks` / `fetch_sources` include `e` too, as asserted above.

#[test]
fn legacy_syntax_when_the_grammar_fails() {
    for (input, expected) in [
        ("a", "a"),
        ("pre/c", "pre/c"),
        ("+d", "d,pre/c"),
        ("++d", "b,d,pre/c"),
        ("*d", "a,b,d,pre/c"),
        ("b*", "b,d,pre/c"),
        ("a+", "a,b"),
        ("+b+", "a,b,pre/c"),
        ("ext", "ext"),
        ("tag:t=v", "b"),
        ("  a  ", "a"),
    ] {
        check(input, expected);
    }
}

#[test]
fn legacy_missing_key_is_an_error_with_a_suggestion() {
    let err = select(&REFERENCE, "pre/cc").unwrap_err();
    assert_eq!(
        err.message,
        "asset key `pre/cc` was selected, but no location defines it; did you mean `pre/c`?"
    );
    assert_eq!((err.column, err.len), (0, 6));
}

#[test]
fn unions_split_on_commas_outside_quotes() {
    let both = parse_union("key:a, +key:d").unwrap();
    assert_eq!(
        both.evaluate_keys(&REFERENCE).unwrap(),
        ["a", "b", "d", "pre/c"].map(AssetKey::parse)
    );
    assert_eq!(
        parse_union("a,key:e")
            .unwrap()
            .evaluate_keys(&REFERENCE)
            .unwrap(),
        ["a", "e"].map(AssetKey::parse)
    );
    assert!(parse_union(r#"key:"a,b""#).is_ok());
    let err = parse_union("key:a,grop:x").unwrap_err();
    assert_eq!((err.column, err.len), (6, 4));
    assert!(parse_union("key:a,").is_err());
    assert!(parse("key:a,key:b").is_err());
}

#[test]
fn traversal_spans_locations() {
    assert_eq!(
        select(&TWO, "+key:data_science_asset").unwrap(),
        "cleaned_orders,data_engineering_asset,data_science_asset,raw_orders"
    );
    assert_eq!(
        select(&TWO, "key:raw_orders+").unwrap(),
        "cleaned_orders,data_engineering_asset,data_science_asset,raw_orders"
    );
    assert_eq!(
        select(&TWO, r#"code_location:"data-science""#).unwrap(),
        "crm/customers,data_science_asset"
    );
    assert_eq!(
        select(&TWO, r#"code_location:"data-engineering" and sinks(*)"#).unwrap(),
        ""
    );
    assert_eq!(select(&TWO, "roots(*)").unwrap(), "raw_orders");
}

#[test]
fn caret_display_underlines_the_span() {
    let input = "key:a foo";
    let err = parse(input).unwrap_err();
    assert_eq!(
        err.caret_display(input),
        "key:a foo\n      ^^^ unexpected token 'foo'; expected 'and', 'or' or the end of the selection"
    );
    let input = "group:x or\n";
    let err = parse(input).unwrap_err();
    assert_eq!(
        err.caret_display(input),
        "group:x or \n           ^ unexpected end of selection; expected an attribute (key:…, \
         tag:…, group:…), sinks(…), roots(…), '(' , '*' or 'not'"
    );
}

#[test]
fn unsupported_runtime_attributes_are_clear() {
    for attr in [
        "status:x",
        "column:x",
        "table_name:x",
        "column_tag:k=v",
        "partitions:x",
        "automation_type:x",
    ] {
        let err = parse(attr).unwrap_err();
        assert!(
            err.message
                .ends_with("is not supported by dg-rs: it needs a running Dagster instance"),
            "{attr}: {}",
            err.message
        );
        assert_eq!(err.column, 0);
        assert_eq!(err.len, attr.chars().count(), "{attr}");
    }
}

#[test]
fn changed_in_branch_selects_by_kind_and_traverses_like_any_attribute() {
    use crate::graph::changes::{BranchChanges, ChangeKind};
    let mut changes = BranchChanges::default();
    changes.add("b".into(), [ChangeKind::Tags].into_iter().collect());
    changes.add(
        "e".into(),
        [ChangeKind::New, ChangeKind::Source].into_iter().collect(),
    );
    let sel = |input: &str| -> Result<String, SelectionError> {
        let s = parse(input)?;
        assert!(s.uses_changes(), "{input}");
        Ok(s.evaluate_with_changes(&REFERENCE, Some(&changes))?
            .into_iter()
            .map(|id| REFERENCE.key(id).to_string())
            .collect::<Vec<_>>()
            .join(","))
    };
    assert_eq!(sel("changed_in_branch:ANY").unwrap(), "b,e");
    assert_eq!(sel(r#"changed_in_branch:"ANY""#).unwrap(), "b,e");
    assert_eq!(sel("changed_in_branch:TAGS").unwrap(), "b");
    assert_eq!(sel("changed_in_branch:NEW").unwrap(), "e");
    assert_eq!(sel("changed_in_branch:SOURCE").unwrap(), "e");
    assert_eq!(sel("changed_in_branch:CODE_VERSION").unwrap(), "");
    assert_eq!(sel("changed_in_branch:ANY+").unwrap(), "b,d,e,pre/c");
    assert_eq!(
        sel("changed_in_branch:TAGS+1 and not changed_in_branch:TAGS").unwrap(),
        "pre/c"
    );
    assert!(!parse("key:a").unwrap().uses_changes());
}

#[test]
fn changed_in_branch_without_a_comparison_or_with_a_bad_kind_is_a_clear_error() {
    let input = "key:a or changed_in_branch:ANY+";
    let err = parse(input).unwrap().evaluate(&REFERENCE).unwrap_err();
    assert!(err.message.contains("--base REF"), "{}", err.message);
    assert_eq!((err.column, err.len), (9, 21));
    let err = parse("changed_in_branch:tags").unwrap_err();
    assert_eq!(
        err.message,
        "invalid value 'tags' for changed_in_branch:; kinds are uppercase: TAGS"
    );
    let err = parse("changed_in_branch:main").unwrap_err();
    assert!(err.message.starts_with(
        "invalid value 'main' for changed_in_branch:; expected one of ANY, NEW, CODE_VERSION"
    ));
    assert_eq!((err.column, err.len), (18, 4));
    let err = parse("changed_in_branch:REMOVED").unwrap_err();
    assert!(err.message.contains("removed assets are not in the graph"));
}

#[test]
fn a_generated_chain_of_many_keys_evaluates_without_deep_recursion() {
    // What `dg affected --format selection` prints for a large change.
    let graph = AssetGraph::build(crate::bench_support::synthetic_workspace(2, 1000, 5, 1));
    let keys: Vec<String> = graph
        .node_ids()
        .map(|id| format!("key:\"{}\"", graph.key(id)))
        .collect();
    let input = keys.join(" or ");
    let handle = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            let sel = parse(&input).unwrap();
            assert!(!sel.uses_changes());
            sel.evaluate(&graph).unwrap().len()
        })
        .unwrap();
    assert_eq!(handle.join().unwrap(), 2000);
}

const ALPHABET: &[&str] = &[
    "key",
    "tag",
    "owner",
    "group",
    "kind",
    "is",
    "code_location",
    "status",
    "job",
    "sensor",
    "schedule",
    "sinks",
    "roots",
    "and",
    "or",
    "not",
    "AND",
    "NOT",
    "*",
    "+",
    "2",
    "0",
    ":",
    "(",
    ")",
    ",",
    "=",
    "\"",
    "\"pre/c\"",
    "<null>",
    "a",
    "pre/c",
    "pre/*",
    "ext",
    "external",
    "materializable",
    " ",
    "-",
    "é",
    "99999999999999999999",
    "\n",
    "t",
    "v",
];

fn token_soup() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(ALPHABET), 0..16)
        .prop_map(|parts| parts.concat())
}

fn must_not_panic(input: &str) {
    for graph in [&*REFERENCE, &*TWO] {
        for parsed in [parse(input), parse_union(input)] {
            match parsed {
                Ok(selection) => {
                    let _ = selection.evaluate(graph);
                }
                Err(e) => {
                    let _ = e.caret_display(input);
                    assert!(e.column <= input.chars().count());
                }
            }
        }
    }
}

proptest! {
    #[test]
    fn arbitrary_strings_never_panic(input in any::<String>()) {
        must_not_panic(&input);
    }

    #[test]
    fn token_soups_never_panic(input in token_soup()) {
        must_not_panic(&input);
    }
}
