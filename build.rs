// The create-dagster templates are embedded with include_dir, which does not tell cargo
// about the files it reads: rebuild when they change.
fn main() {
    println!("cargo:rerun-if-changed=templates");
}
