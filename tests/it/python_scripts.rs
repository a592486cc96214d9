//! The embedded Python scripts' own tests (python/tests), run with each fixture environment's
//! interpreter: Dagster 1.12 on Python 3.11 and Dagster 1.13 on Python 3.12.

use crate::common::{TestContext, fixture_envs, repo_root};

#[test]
fn python_script_tests_pass_in_both_dagster_versions() {
    let envs = fixture_envs();
    let runs: Vec<_> = [&envs.data_engineering, &envs.data_science]
        .into_iter()
        .map(|python| {
            let ctx = TestContext::new("workspace");
            let child = ctx
                .command(python)
                .args([
                    "-m",
                    "unittest",
                    "discover",
                    "-s",
                    "python/tests",
                    "-t",
                    "python",
                ])
                .current_dir(repo_root())
                .env("DG_RS_FIXTURE_WORKSPACE", &ctx.root)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("start unittest");
            (python.clone(), ctx, child)
        })
        .collect();
    for (python, _ctx, out) in runs {
        let out = out.wait_with_output().expect("run unittest");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{}:\n{stderr}", python.display());
        assert!(stderr.contains("\nOK"), "{stderr}");
        // A skipped Python test is a test that did not run: it fails here.
        assert!(
            !stderr.contains("skipped"),
            "{}: Python tests were skipped:\n{stderr}",
            python.display()
        );
    }
}
