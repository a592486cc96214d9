fn main() -> std::process::ExitCode {
    dg_rs::run_create_dagster(std::env::args_os())
}
