//! Snapshot tests of every export format on the fixture records.
mod common;

use edgebench_reports::{Format, render};

fn rendered(format: Format) -> String {
    render(&common::records(), format).expect("fixture records export")
}

#[test]
fn markdown() {
    insta::assert_snapshot!("md", rendered(Format::Md));
}

#[test]
fn csv() {
    insta::assert_snapshot!("csv", rendered(Format::Csv));
}

#[test]
fn json() {
    insta::assert_snapshot!("json", rendered(Format::Json));
}

#[test]
fn jsonl() {
    insta::assert_snapshot!("jsonl", rendered(Format::Jsonl));
}

#[test]
fn every_format_ends_with_a_newline() {
    for format in Format::ALL {
        assert!(rendered(format).ends_with('\n'), "{format}");
    }
}

#[test]
fn no_records() {
    let md = render(&[], Format::Md).expect("empty md");
    assert_eq!(md.lines().count(), 2, "header and rule only:\n{md}");
    assert_eq!(render(&[], Format::Json).expect("empty json"), "[]\n");
    assert_eq!(render(&[], Format::Jsonl).expect("empty jsonl"), "");
    assert_eq!(
        render(&[], Format::Csv).expect("empty csv").lines().count(),
        1
    );
}
