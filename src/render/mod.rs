//! Everything that formats output for people or machines lives here; core modules return
//! values and never print.

pub mod graph;
