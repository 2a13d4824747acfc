//! Records the git commit and dirty flag the binary is built from, so every
//! result can say exactly which code measured it.
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn main() {
    if let Some(top) = git(&["rev-parse", "--show-toplevel"]) {
        println!("cargo:rerun-if-changed={top}/.git/HEAD");
        println!("cargo:rerun-if-changed={top}/.git/index");
        if let Some(head_ref) = git(&["symbolic-ref", "-q", "HEAD"]) {
            println!("cargo:rerun-if-changed={top}/.git/{head_ref}");
        }
    }
    let commit = git(&["rev-parse", "HEAD"]).unwrap_or_default();
    let dirty = match git(&["status", "--porcelain", "--untracked-files=no"]) {
        Some(_) if commit.is_empty() => String::new(),
        Some(s) => (!s.is_empty()).to_string(),
        None => String::new(),
    };
    println!("cargo:rustc-env=EDGEBENCH_GIT_COMMIT={commit}");
    println!("cargo:rustc-env=EDGEBENCH_GIT_DIRTY={dirty}");
}
