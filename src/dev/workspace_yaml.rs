//! The workspace.yaml the webserver and the daemon load: one `grpc_server` entry per location,
//! on the Unix socket its code server listens on, with the same `additional_metadata` real
//! `dg dev` shows in the UI (interpreter, module, working directory).

use serde::Serialize;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct GrpcEntry {
    pub location_name: String,
    pub socket: PathBuf,
    pub executable_path: PathBuf,
    pub module_name: String,
    pub working_directory: PathBuf,
}

#[derive(Serialize)]
struct File<'a> {
    load_from: Vec<Entry<'a>>,
}

#[derive(Serialize)]
struct Entry<'a> {
    grpc_server: Server<'a>,
}

#[derive(Serialize)]
struct Server<'a> {
    host: &'static str,
    socket: String,
    location_name: &'a str,
    additional_metadata: Metadata<'a>,
}

#[derive(Serialize)]
struct Metadata<'a> {
    executable_path: String,
    module_name: &'a str,
    working_directory: String,
}

pub fn render(entries: &[GrpcEntry]) -> String {
    let file = File {
        load_from: entries
            .iter()
            .map(|e| Entry {
                grpc_server: Server {
                    host: "localhost",
                    socket: e.socket.display().to_string(),
                    location_name: &e.location_name,
                    additional_metadata: Metadata {
                        executable_path: e.executable_path.display().to_string(),
                        module_name: &e.module_name,
                        working_directory: e.working_directory.display().to_string(),
                    },
                },
            })
            .collect(),
    };
    serde_norway::to_string(&file).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_grpc_server_entry_per_location() {
        let yaml = render(&[GrpcEntry {
            location_name: "data-science".into(),
            socket: "/tmp/dg-dev-x/1.sock".into(),
            executable_path: "/ws/projects/data-science/.venv/bin/python".into(),
            module_name: "data_science.definitions".into(),
            working_directory: "/ws/projects/data-science/src".into(),
        }]);
        let parsed: serde_json::Value = serde_norway::from_str(&yaml).unwrap();
        let server = &parsed["load_from"][0]["grpc_server"];
        assert_eq!(server["socket"], "/tmp/dg-dev-x/1.sock");
        assert_eq!(server["location_name"], "data-science");
        assert_eq!(server["host"], "localhost");
        assert_eq!(
            server["additional_metadata"]["module_name"],
            "data_science.definitions"
        );
        assert!(server.get("port").is_none());
    }
}
