fn main() -> std::process::ExitCode {
    dg_rs::run_dg(std::env::args_os())
}
