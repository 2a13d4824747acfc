//! `sweep --filter EXPR`: which cases of the matrix to run.
//!
//! EXPR is comma-separated `key=pattern` terms, all of which must match:
//! keys `model` (profile model id), `backend`, `threads`, `test` (e.g.
//! `req512+128`). A pattern is alternatives split by `|`, each may use `*`
//! for any text: `--filter 'model=tiny*,backend=llama.cpp|mock,threads=2'`.

/// A parsed filter; the default matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    terms: Vec<(Key, Vec<String>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Model,
    Backend,
    Threads,
    Test,
}

impl std::str::FromStr for Filter {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let mut terms = vec![];
        for term in s.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            let (key, pattern) = term.split_once('=').ok_or_else(|| {
                format!(
                    "--filter: '{term}' is not key=pattern (keys: model, backend, threads, test)"
                )
            })?;
            let key = match key.trim() {
                "model" => Key::Model,
                "backend" => Key::Backend,
                "threads" => Key::Threads,
                "test" => Key::Test,
                other => {
                    return Err(format!(
                        "--filter: unknown key '{other}'; use model, backend, threads or test"
                    ));
                }
            };
            let alts: Vec<String> = pattern.split('|').map(|p| p.trim().to_string()).collect();
            if alts.iter().any(|a| a.is_empty()) {
                return Err(format!("--filter: '{term}' has an empty pattern"));
            }
            terms.push((key, alts));
        }
        Ok(Filter { terms })
    }
}

impl Filter {
    fn term_ok(&self, key: Key, value: &str) -> bool {
        self.terms
            .iter()
            .filter(|(k, _)| *k == key)
            .all(|(_, alts)| alts.iter().any(|p| glob(p, value)))
    }

    /// Whether a model x backend group may have matching cases.
    pub fn matches_group(&self, model: &str, backend: &str) -> bool {
        self.term_ok(Key::Model, model) && self.term_ok(Key::Backend, backend)
    }

    /// Whether one case matches.
    pub fn matches_case(&self, model: &str, backend: &str, threads: u32, test: &str) -> bool {
        self.matches_group(model, backend)
            && self.term_ok(Key::Threads, &threads.to_string())
            && self.term_ok(Key::Test, test)
    }
}

/// `*` matches any run of characters; everything else literally.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("tiny*", "tiny-q4"));
        assert!(glob("*q4*", "tiny-q4_0"));
        assert!(glob("a*b*c", "aXbYc"));
        assert!(!glob("a*b*c", "aXcYb"));
        assert!(!glob("tiny", "tiny2"));
    }

    #[test]
    fn terms_and_alternatives() {
        let f: Filter = "model=tiny*,backend=llama.cpp|mock,threads=2"
            .parse()
            .unwrap();
        assert!(f.matches_case("tiny-q4", "mock", 2, "pp64"));
        assert!(!f.matches_case("tiny-q4", "mock", 4, "pp64"));
        assert!(!f.matches_case("small", "mock", 2, "pp64"));
        assert!(Filter::default().matches_case("x", "y", 1, "z"));
    }

    #[test]
    fn bad_filters_say_why() {
        assert!(
            "model"
                .parse::<Filter>()
                .unwrap_err()
                .contains("key=pattern")
        );
        assert!(
            "color=red"
                .parse::<Filter>()
                .unwrap_err()
                .contains("unknown key")
        );
        assert!(
            "model=a|"
                .parse::<Filter>()
                .unwrap_err()
                .contains("empty pattern")
        );
    }
}
