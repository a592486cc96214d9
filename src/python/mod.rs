//! Python interpreters and environments: discovery, the environment builder behind
//! `dg sync`, the embedded scripts, and the one subprocess helper (argv lists, never a shell).

pub mod env;
pub mod interpreter;
pub mod process;
pub mod scripts;
