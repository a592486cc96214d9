// mimalloc: manifests are many small allocations; it measured faster than the system allocator (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    dg_rs::run_dg(std::env::args_os())
}
