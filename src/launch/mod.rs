//! `dg launch` across code locations: [`plan`] turns a selection on the workspace graph into
//! ordered steps (one Dagster run each, in one location), and [`execute`] runs them with each
//! location's own interpreter against ONE Dagster instance. Nothing here prints: progress goes
//! to a [`execute::LaunchObserver`], results come back as values.

pub mod execute;
pub mod home;
pub mod plan;
pub mod remote;
pub mod run_config;

pub use plan::{LaunchPlan, PlanError, Step};
