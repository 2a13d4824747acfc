//! `edgebench import llama-bench FILE...`: llama-bench's results as
//! edgebench records, so `compare`, `report` and `history` can put a device
//! measured elsewhere beside edgebench's own results, and a lab can load
//! its llama-bench history.
//!
//! Reads llama-bench's `-o json`, `-o jsonl`, `-o csv` and `-o sql` output
//! (the default Markdown table lacks per-test fields and is refused with the
//! flag to use instead), of two field-name generations:
//!
//! - 2023 to mid 2024 (e.g. b1500-b3000): one boolean per backend (`cuda`,
//!   `metal`, `vulkan`, `kompute`, `opencl`, `sycl`, `gpu_blas`, `blas`,
//!   `rpc`), no `n_depth`, no per-repetition samples in early builds;
//! - later builds (e.g. b5163): a `backends` string, `n_depth`,
//!   `samples_ns` / `samples_ts` (JSON outputs only).
//!
//! Fields it does not know are kept by name in the record's `imported`
//! block (llama-bench adds fields often), never an error; a required field
//! that is missing or not a number names the file, line and field.
//!
//! Each row becomes one record named as llama-bench names its test
//! (`pp512`, `tg128`, `pp512+tg128`, with ` @ d512` at depth): a `pp` test
//! gives the prefill rate, a `tg` test the decode rate, a `pg` test the
//! end-to-end time of the combined request. TTFT, inter-token latency,
//! peak memory and load time are not measured by llama-bench and the record
//! says so.
use std::collections::BTreeMap;
use std::path::Path;

use edgebench_devices::HostInfo;
use serde_json::Value;

use crate::record::{
    BackendInfo, Imported, Metrics, ModelInfo, Record, RecordKind, TestShape, ToolInfo, Workload,
};
use crate::stats::Summary;
use crate::{SCHEMA_VERSION, Status};

/// Why a file could not be imported: the file, the line, the field.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be read.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// The file is not what llama-bench writes, or a row is wrong.
    #[error("{path}{}: {message}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Bad {
        /// The file.
        path: String,
        /// 1-based line, when known.
        line: Option<usize>,
        /// What is wrong and what to do.
        message: String,
    },
}

/// The output formats of llama-bench this reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `-o json`: one array of objects.
    Json,
    /// `-o jsonl`: one object per line.
    Jsonl,
    /// `-o csv`: a header line, then quoted values.
    Csv,
    /// `-o sql`: CREATE TABLE, then one INSERT per test.
    Sql,
}

/// Every field some llama-bench version writes, as far as this build knows.
const KNOWN: &[&str] = &[
    "build_commit",
    "build_number",
    "cuda",
    "opencl",
    "vulkan",
    "kompute",
    "metal",
    "sycl",
    "rpc",
    "gpu_blas",
    "blas",
    "cpu_info",
    "gpu_info",
    "backends",
    "model_filename",
    "model_type",
    "model_size",
    "model_n_params",
    "n_batch",
    "n_ubatch",
    "n_threads",
    "cpu_mask",
    "cpu_strict",
    "poll",
    "type_k",
    "type_v",
    "n_gpu_layers",
    "n_cpu_moe",
    "split_mode",
    "main_gpu",
    "no_kv_offload",
    "flash_attn",
    "devices",
    "tensor_split",
    "tensor_buft_overrides",
    "use_mmap",
    "use_direct_io",
    "embeddings",
    "no_op_offload",
    "no_host",
    "repack",
    "fit_target",
    "fit_min_ctx",
    "n_prompt",
    "n_gen",
    "n_depth",
    "test_time",
    "avg_ns",
    "stddev_ns",
    "avg_ts",
    "stddev_ts",
    "samples_ns",
    "samples_ts",
    "mul_mat_q",
    "f16_kv",
    "low_vram",
];

/// The per-backend booleans of the older generation, with the name the
/// newer `backends` string uses.
const OLD_BACKENDS: &[(&str, &str)] = &[
    ("cuda", "CUDA"),
    ("metal", "Metal"),
    ("vulkan", "Vulkan"),
    ("kompute", "Kompute"),
    ("opencl", "OpenCL"),
    ("sycl", "SYCL"),
    ("rpc", "RPC"),
    ("gpu_blas", "GPU BLAS"),
    ("blas", "BLAS"),
];

/// One row as read: field name to value (strings for CSV and SQL), with
/// the line it starts on.
#[derive(Debug, Clone)]
pub struct Row {
    /// 1-based line of the row in its file.
    pub line: usize,
    /// The fields.
    pub fields: BTreeMap<String, Value>,
}

/// Which format `text` is in, from its first non-blank characters.
pub fn detect(text: &str) -> Option<Format> {
    let t = text.trim_start_matches('\u{feff}').trim_start();
    if t.starts_with('[') {
        Some(Format::Json)
    } else if t.starts_with('{') {
        Some(Format::Jsonl)
    } else if t.starts_with("CREATE TABLE") || t.starts_with("INSERT INTO") {
        Some(Format::Sql)
    } else if t.starts_with("build_commit") || t.starts_with("\"build_commit\"") {
        Some(Format::Csv)
    } else {
        None
    }
}

/// Reads llama-bench output from `path` into records.
pub fn import_file(path: &Path, edgebench_version: &str) -> Result<Vec<Record>, ImportError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ImportError::Io {
        path: name.clone(),
        source,
    })?;
    import_text(&text, &name, edgebench_version)
}

/// [`import_file`] on text in memory; `name` names it in errors.
pub fn import_text(
    text: &str,
    name: &str,
    edgebench_version: &str,
) -> Result<Vec<Record>, ImportError> {
    let rows = parse(text, name)?;
    if rows.is_empty() {
        return Err(bad(
            name,
            None,
            "no llama-bench results in this file".into(),
        ));
    }
    rows.iter()
        .map(|r| to_record(r, name, edgebench_version))
        .collect()
}

fn bad(path: &str, line: Option<usize>, message: String) -> ImportError {
    ImportError::Bad {
        path: path.to_owned(),
        line,
        message,
    }
}

/// The rows of `text`, whatever llama-bench format it is in.
pub fn parse(text: &str, name: &str) -> Result<Vec<Row>, ImportError> {
    let text = text.trim_start_matches('\u{feff}');
    match detect(text) {
        Some(Format::Json) => parse_json(text, name),
        Some(Format::Jsonl) => parse_jsonl(text, name),
        Some(Format::Csv) => parse_csv(text, name),
        Some(Format::Sql) => parse_sql(text, name),
        None if text.trim_start().starts_with('|') => Err(bad(
            name,
            Some(1),
            "this is llama-bench's Markdown table (its default -o md), which lacks the per-test fields; run llama-bench with -o json (or jsonl, csv, sql) and import that".into(),
        )),
        None => Err(bad(
            name,
            Some(1),
            "not llama-bench output: expected its -o json, jsonl, csv or sql format".into(),
        )),
    }
}

fn object(v: Value, name: &str, line: usize) -> Result<Row, ImportError> {
    match v {
        Value::Object(m) => Ok(Row {
            line,
            fields: m.into_iter().collect(),
        }),
        other => Err(bad(
            name,
            Some(line),
            format!(
                "expected a llama-bench result object, found {}",
                kind(&other)
            ),
        )),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn parse_json(text: &str, name: &str) -> Result<Vec<Row>, ImportError> {
    let v: Value = serde_json::from_str(text).map_err(|e| {
        bad(
            name,
            Some(e.line()),
            format!(
                "not valid JSON at column {}: {e}{}",
                e.column(),
                if e.is_eof() {
                    " (the file ends early: was llama-bench interrupted?)"
                } else {
                    ""
                }
            ),
        )
    })?;
    let Value::Array(items) = v else {
        return Err(bad(
            name,
            Some(1),
            "expected a JSON array of results".into(),
        ));
    };
    let lines = object_lines(text);
    items
        .into_iter()
        .enumerate()
        .map(|(i, v)| object(v, name, lines.get(i).copied().unwrap_or(1)))
        .collect()
}

/// The line each top-level object of a JSON array starts on.
fn object_lines(text: &str) -> Vec<usize> {
    let (mut depth, mut line, mut in_str, mut esc) = (0usize, 1usize, false, false);
    let mut out = Vec::new();
    for c in text.chars() {
        if c == '\n' {
            line += 1;
        }
        if in_str {
            match (esc, c) {
                (true, _) => esc = false,
                (false, '\\') => esc = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '[' | '{' => {
                if c == '{' && depth == 1 {
                    out.push(line);
                }
                depth += 1;
            }
            ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    out
}

fn parse_jsonl(text: &str, name: &str) -> Result<Vec<Row>, ImportError> {
    let mut rows = Vec::new();
    for (i, l) in text.lines().enumerate() {
        if l.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(l).map_err(|e| {
            bad(
                name,
                Some(i + 1),
                format!(
                    "not a valid JSON object at column {}: {e}{}",
                    e.column(),
                    if e.is_eof() {
                        " (a truncated line?)"
                    } else {
                        ""
                    }
                ),
            )
        })?;
        rows.push(object(v, name, i + 1)?);
    }
    Ok(rows)
}

/// One CSV line's fields: quoted ("" is a quote) or bare.
fn csv_fields(line: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return None,
                }
            }
            match chars.next() {
                Some(',') => {
                    out.push(field);
                    continue;
                }
                None => {
                    out.push(field);
                    return Some(out);
                }
                Some(_) => return None,
            }
        }
        loop {
            match chars.next() {
                Some(',') => break,
                Some(c) => field.push(c),
                None => {
                    out.push(field);
                    return Some(out);
                }
            }
        }
        out.push(field);
    }
}

fn parse_csv(text: &str, name: &str) -> Result<Vec<Row>, ImportError> {
    let mut lines = text.lines().enumerate();
    let (_, header) = lines.next().unwrap_or((0, ""));
    let header = csv_fields(header).ok_or_else(|| {
        bad(
            name,
            Some(1),
            "unreadable CSV header (an unclosed quote)".into(),
        )
    })?;
    let mut rows = Vec::new();
    for (i, l) in lines {
        if l.trim().is_empty() {
            continue;
        }
        let values = csv_fields(l).ok_or_else(|| {
            bad(
                name,
                Some(i + 1),
                "unreadable CSV line (an unclosed quote: a truncated file?)".into(),
            )
        })?;
        if values.len() != header.len() {
            return Err(bad(
                name,
                Some(i + 1),
                format!(
                    "{} values for {} columns in the header (a truncated line?)",
                    values.len(),
                    header.len()
                ),
            ));
        }
        rows.push(Row {
            line: i + 1,
            fields: header
                .iter()
                .cloned()
                .zip(values.into_iter().map(Value::String))
                .collect(),
        });
    }
    Ok(rows)
}

/// The `'...'` values of a SQL VALUES list (`''` is a quote).
fn sql_values(list: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut chars = list.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        match chars.next() {
            None => return Some(out),
            Some('\'') => {
                let mut v = String::new();
                loop {
                    match chars.next() {
                        Some('\'') if chars.peek() == Some(&'\'') => {
                            chars.next();
                            v.push('\'');
                        }
                        Some('\'') => break,
                        Some(c) => v.push(c),
                        None => return None,
                    }
                }
                out.push(v);
            }
            Some(c) => {
                // A bare number or NULL.
                let mut v = String::from(c);
                while chars.peek().is_some_and(|c| *c != ',') {
                    v.push(chars.next()?);
                }
                out.push(v.trim().to_owned());
            }
        }
    }
}

fn parse_sql(text: &str, name: &str) -> Result<Vec<Row>, ImportError> {
    let mut rows = Vec::new();
    for (i, l) in text.lines().enumerate() {
        let l = l.trim();
        let Some(rest) = l.strip_prefix("INSERT INTO") else {
            continue;
        };
        let line = Some(i + 1);
        let err = |m: &str| bad(name, line, m.to_owned());
        let open = rest
            .find('(')
            .ok_or_else(|| err("INSERT without a column list"))?;
        let close = rest[open..]
            .find(')')
            .map(|c| open + c)
            .ok_or_else(|| err("INSERT with an unclosed column list (a truncated line?)"))?;
        let cols: Vec<String> = rest[open + 1..close]
            .split(',')
            .map(|c| c.trim().to_owned())
            .collect();
        let after = &rest[close + 1..];
        let vstart = after
            .find("VALUES")
            .map(|v| v + "VALUES".len())
            .ok_or_else(|| err("INSERT without VALUES (a truncated line?)"))?;
        let vals = after[vstart..].trim();
        let inner = vals
            .strip_prefix('(')
            .and_then(|v| v.strip_suffix(");").or_else(|| v.strip_suffix(')')))
            .ok_or_else(|| err("VALUES list not closed by ');' (a truncated line?)"))?;
        let values =
            sql_values(inner).ok_or_else(|| err("unclosed quote in VALUES (a truncated line?)"))?;
        if values.len() != cols.len() {
            return Err(err(&format!(
                "{} values for {} columns",
                values.len(),
                cols.len()
            )));
        }
        rows.push(Row {
            line: i + 1,
            fields: cols
                .into_iter()
                .zip(values.into_iter().map(Value::String))
                .collect(),
        });
    }
    Ok(rows)
}

/// Typed access to a row's fields, with errors naming file, line, field.
struct Fields<'a> {
    row: &'a Row,
    name: &'a str,
}

impl Fields<'_> {
    fn err(&self, field: &str, what: String) -> ImportError {
        bad(
            self.name,
            Some(self.row.line),
            format!("field `{field}`: {what}"),
        )
    }

    fn get(&self, field: &str) -> Option<&Value> {
        self.row.fields.get(field).filter(|v| !v.is_null())
    }

    fn text(&self, field: &str) -> Option<String> {
        self.get(field).map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    }

    fn number(&self, field: &str) -> Result<Option<f64>, ImportError> {
        let Some(v) = self.get(field) else {
            return Ok(None);
        };
        let x = match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            Value::Bool(b) => Some(f64::from(u8::from(*b))),
            _ => None,
        };
        match x {
            Some(x) if x.is_finite() => Ok(Some(x)),
            _ => Err(self.err(field, format!("expected a number, found {v}"))),
        }
    }

    fn count(&self, field: &str) -> Result<Option<u32>, ImportError> {
        match self.number(field)? {
            None => Ok(None),
            Some(x) if x >= 0.0 && x.fract() == 0.0 && x <= f64::from(u32::MAX) => {
                Ok(Some(x as u32))
            }
            Some(x) => Err(self.err(field, format!("expected a whole number >= 0, found {x}"))),
        }
    }

    fn required_count(&self, field: &str) -> Result<u32, ImportError> {
        self.count(field)?.ok_or_else(|| {
            self.err(
                field,
                "missing: every llama-bench result row has it; is this llama-bench output?".into(),
            )
        })
    }

    fn flag(&self, field: &str) -> bool {
        match self.get(field) {
            Some(Value::Bool(b)) => *b,
            Some(Value::Number(n)) => n.as_f64().is_some_and(|x| x != 0.0),
            Some(Value::String(s)) => matches!(s.trim(), "1" | "true"),
            _ => false,
        }
    }

    fn samples(&self, field: &str) -> Result<Option<Vec<f64>>, ImportError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::Array(a)) => a
                .iter()
                .map(|x| {
                    x.as_f64()
                        .filter(|x| x.is_finite())
                        .ok_or_else(|| self.err(field, format!("expected numbers, found {x}")))
                })
                .collect::<Result<Vec<f64>, _>>()
                .map(|v| (!v.is_empty()).then_some(v)),
            Some(other) => Err(self.err(field, format!("expected an array, found {other}"))),
        }
    }
}

/// `Q4_K_M` from llama-bench's `qwen2 7B Q4_K - Medium` (or `mostly Q4_0`).
pub fn quant_of(model_type: &str) -> String {
    let t = model_type.replace("mostly ", "");
    let words: Vec<&str> = t.split_whitespace().collect();
    let Some(i) = words.iter().position(|w| {
        let u = w.to_ascii_uppercase();
        (u.starts_with('Q') || u.starts_with("IQ") || u.starts_with("TQ"))
            && u.chars()
                .nth(1)
                .is_some_and(|c| c.is_ascii_digit() || c == 'Q')
            || matches!(u.as_str(), "F16" | "F32" | "BF16" | "ALL")
    }) else {
        return "unknown".into();
    };
    let mut q = words[i].to_ascii_uppercase();
    if words.get(i + 1) == Some(&"-") {
        match words.get(i + 2).copied() {
            Some("Medium") => q.push_str("_M"),
            Some("Small") => q.push_str("_S"),
            Some("Large") => q.push_str("_L"),
            Some("Extra") => q.push_str("_XS"),
            _ => {}
        }
    }
    if q == "ALL" {
        q = words
            .get(i + 1)
            .map_or("unknown".into(), |w| w.to_ascii_uppercase());
    }
    q
}

/// llama-bench's test name: `pp512`, `tg128`, `pp512+tg128`, ` @ d512`.
pub fn test_name(n_prompt: u32, n_gen: u32, n_depth: u32) -> String {
    TestShape::llama_bench(n_prompt, n_gen).test_name(n_prompt, n_gen, n_depth)
}

fn to_record(row: &Row, name: &str, edgebench_version: &str) -> Result<Record, ImportError> {
    let f = Fields { row, name };
    let n_prompt = f.required_count("n_prompt")?;
    let n_gen = f.required_count("n_gen")?;
    let n_depth = f.count("n_depth")?.unwrap_or(0);
    if n_prompt == 0 && n_gen == 0 {
        return Err(f.err("n_prompt", "n_prompt and n_gen are both 0: no test".into()));
    }
    let samples_ts = f.samples("samples_ts")?;
    let samples_ns = f.samples("samples_ns")?;
    let avg_ts = f.number("avg_ts")?;
    let avg_ns = f.number("avg_ns")?;
    let rates = match (&samples_ts, avg_ts) {
        (Some(s), _) => s.clone(),
        (None, Some(a)) => vec![a],
        (None, None) => {
            return Err(f.err(
                "avg_ts",
                "missing, and no samples_ts: nothing measured in this row".into(),
            ));
        }
    };
    if rates.iter().any(|x| *x <= 0.0) {
        return Err(f.err("avg_ts", "a rate of 0 or below".into()));
    }
    let rate = Summary::from_samples(rates.clone());
    let times_ms: Option<Vec<f64>> = samples_ns
        .clone()
        .or_else(|| avg_ns.map(|a| vec![a]))
        .map(|v| v.into_iter().map(|ns| ns / 1e6).collect());

    let mut backends: Vec<String> = match f.text("backends") {
        Some(b) => b
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
        None => OLD_BACKENDS
            .iter()
            .filter(|(k, _)| f.flag(k))
            .map(|(_, v)| (*v).to_owned())
            .collect(),
    };
    if backends.is_empty() {
        backends.push("CPU".into());
    }
    let gpu = f.text("gpu_info").filter(|g| !g.trim().is_empty());
    let build_number = f.text("build_number");
    let build_commit = f.text("build_commit");
    let version = match (&build_number, &build_commit) {
        (Some(n), Some(c)) => format!("b{n} ({c})"),
        (Some(n), None) => format!("b{n}"),
        (None, Some(c)) => c.clone(),
        (None, None) => "unknown".into(),
    };
    let model_type = f.text("model_type").unwrap_or_default();
    let mut not_measured = vec![
        "ttft_ms".to_owned(),
        "itl_ms".to_owned(),
        "load_ms".to_owned(),
        "peak_rss_bytes".to_owned(),
        "model.sha256".to_owned(),
    ];
    let mut notes = Vec::new();
    if samples_ts.is_none() {
        notes.push(format!(
            "no per-repetition samples in this llama-bench output: avg_ts kept as one sample{}",
            f.number("stddev_ts")?
                .map(|s| format!(" (its stddev_ts was {s:.3})"))
                .unwrap_or_default()
        ));
    }
    let (prefill, decode, e2e) = match (n_prompt, n_gen) {
        (_, 0) => {
            not_measured.push("decode_tps".into());
            not_measured.push("e2e_ms".into());
            (rate, None, None)
        }
        (0, _) => {
            not_measured.push("prefill_tps".into());
            not_measured.push("e2e_ms".into());
            (None, rate, None)
        }
        _ => {
            // llama-bench's pg rate is (prompt + generated) / time: neither
            // a prefill nor a decode rate; its time is the request's.
            not_measured.push("prefill_tps".into());
            not_measured.push("decode_tps".into());
            notes.push(format!(
                "pg test: llama-bench's rate {:.2} t/s counts prompt and generated tokens together; kept as end-to-end time only",
                rates.iter().sum::<f64>() / rates.len() as f64
            ));
            let e2e = times_ms.clone().and_then(Summary::from_samples);
            if e2e.is_none() {
                not_measured.push("e2e_ms".into());
            }
            (None, None, e2e)
        }
    };
    let unknown: Vec<String> = row
        .fields
        .keys()
        .filter(|k| !KNOWN.contains(&k.as_str()))
        .cloned()
        .collect();
    let settings: BTreeMap<String, String> = row
        .fields
        .iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "samples_ns" | "samples_ts" | "avg_ns" | "avg_ts" | "stddev_ns" | "stddev_ts"
            )
        })
        .map(|(k, v)| {
            (
                k.clone(),
                match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                },
            )
        })
        .collect();
    let ngl = f.number("n_gpu_layers")?;
    let warnings = std::iter::once(format!(
        "imported from llama-bench {version} ({name} line {}): TTFT, inter-token latency, peak memory and load time were not measured",
        row.line
    ))
    .chain(notes.iter().cloned())
    .chain((!unknown.is_empty()).then(|| {
        format!(
            "llama-bench fields this edgebench does not know, kept in imported.settings: {}",
            unknown.join(", ")
        )
    }))
    .collect();
    Ok(Record {
        schema_version: SCHEMA_VERSION,
        kind: RecordKind::Llm,
        edgebench: ToolInfo {
            version: edgebench_version.to_owned(),
            commit: None,
            dirty: None,
        },
        host: HostInfo {
            cpu_model: f.text("cpu_info").filter(|c| !c.trim().is_empty()),
            arch: "unknown".into(),
            physical_cores: None,
            logical_cores: 0,
            ram_bytes: 0,
            os: None,
            kernel: None,
            hostname: None,
            board: None,
            cpu_governors: Vec::new(),
            cpu_max_mhz: None,
            swap_bytes: None,
            gpus: gpu.iter().cloned().collect(),
            l4t_release: None,
            nvpmodel_mode: None,
        },
        device: None,
        backend: BackendInfo {
            id: "llama.cpp".into(),
            version: version.clone(),
            build_features: backends.clone(),
            device: if backends.iter().all(|b| b == "CPU" || b == "BLAS") {
                "CPU".into()
            } else {
                gpu.clone().unwrap_or_else(|| backends.join(","))
            },
            execution_provider: None,
        },
        model: ModelInfo {
            id: None,
            path: f.text("model_filename").unwrap_or_else(|| "unknown".into()),
            sha256: String::new(),
            size_bytes: f.number("model_size")?.map_or(0, |x| x.max(0.0) as u64),
            n_params: f.number("model_n_params")?.map_or(0, |x| x.max(0.0) as u64),
            quant: quant_of(&model_type),
            arch: model_type
                .split_whitespace()
                .next()
                .unwrap_or("unknown")
                .to_owned(),
            n_layers: None,
            n_vocab: None,
            n_ctx_train: None,
            synthetic: None,
        },
        workload: Workload {
            test: test_name(n_prompt, n_gen, n_depth),
            shape: TestShape::llama_bench(n_prompt, n_gen),
            n_prompt,
            n_gen,
            n_depth,
            reps: rates.len() as u32,
            warmup: 1,
            threads: f.count("n_threads")?.unwrap_or(0),
            batch: f.count("n_batch")?.unwrap_or(0),
            ubatch: f.count("n_ubatch")?.or(f.count("n_batch")?).unwrap_or(0),
            n_gpu_layers: ngl.filter(|x| *x >= 0.0).map(|x| x as u32),
            n_ctx: n_prompt + n_gen + n_depth,
            seed: 0,
        },
        status: Status::Ok,
        reason: None,
        timestamp: f.text("test_time").unwrap_or_default(),
        thermal_at_start: Vec::new(),
        telemetry_at_start: None,
        metrics: Metrics {
            ttft_ms: None,
            prefill_tps: prefill,
            decode_tps: decode,
            itl_ms: None,
            e2e_ms: e2e,
            load_ms: None,
            peak_rss_bytes: None,
            case_wall_ms: None,
            tokens_generated: Vec::new(),
        },
        roofline: None,
        preflight: None,
        imported: Some(Imported {
            tool: "llama-bench".into(),
            version: build_number.map(|n| format!("b{n}")),
            build_commit,
            source: format!("{name}:{}", row.line),
            not_measured,
            unknown_fields: unknown,
            settings,
        }),
        sustained: None,
        load: None,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantisation_names_from_model_type() {
        assert_eq!(quant_of("qwen2 7B Q4_K - Medium"), "Q4_K_M");
        assert_eq!(quant_of("llama 7B mostly Q4_0"), "Q4_0");
        assert_eq!(quant_of("llama 1B Q6_K"), "Q6_K");
        assert_eq!(quant_of("llama 8B IQ4_XS - 4.25 bpw"), "IQ4_XS");
        assert_eq!(quant_of("llama 1B F16"), "F16");
        assert_eq!(quant_of("llama 1B Q4_K - Small"), "Q4_K_S");
        assert_eq!(quant_of("something else"), "unknown");
    }

    #[test]
    fn test_names_are_llama_bench_names() {
        assert_eq!(test_name(512, 0, 0), "pp512");
        assert_eq!(test_name(0, 128, 0), "tg128");
        assert_eq!(test_name(512, 128, 0), "pp512+tg128");
        assert_eq!(test_name(0, 128, 4096), "tg128 @ d4096");
    }

    #[test]
    fn csv_and_sql_values_unquote() {
        assert_eq!(
            csv_fields(r#""a","b ""q"" c",3,"""#).unwrap(),
            ["a", "b \"q\" c", "3", ""]
        );
        assert!(csv_fields(r#""a","b"#).is_none());
        assert_eq!(
            sql_values("'a', 'it''s', 3, NULL").unwrap(),
            ["a", "it's", "3", "NULL"]
        );
        assert!(sql_values("'a', 'b").is_none());
    }

    #[test]
    fn json_array_object_lines() {
        let text = "[\n  {\n \"a\": \"{\"\n  },\n  {\"b\": 1}\n]\n";
        assert_eq!(object_lines(text), [2, 5]);
    }
}
