//! Results history for edgebench: records kept in a store (an embedded
//! SQLite file, or PostgreSQL for a device lab), and change-point
//! detection over each series of nightly runs to find where a regression
//! started. See docs/history.md.
#![deny(missing_docs)]

pub mod changepoint;
pub mod check;
pub mod error;
pub mod postgres_store;
pub mod row;
pub mod schema;
pub mod sqlite_store;
pub mod store;
pub mod tdist;
pub mod url;

pub use check::{CheckOptions, CheckReport, Regression, check};
pub use error::HistoryError;
pub use store::{AddOutcome, Store};
pub use url::StoreUrl;
