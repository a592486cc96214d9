//! The webserver's port and the host names it is shown and reached by.

use super::error::{DevError, Result};

/// The webserver's port: the one asked for (an error when taken), any free one for 0, or
/// 3000 and, when that is taken, the next free one (said in the report).
pub(super) fn choose_port(host: &str, asked: Option<u16>) -> Result<(u16, Option<String>)> {
    let try_bind = |p: u16| {
        std::net::TcpListener::bind((host, p)).and_then(|l| l.local_addr().map(|a| a.port()))
    };
    match asked {
        Some(p) => match try_bind(p) {
            Ok(port) => Ok((port, None)),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => Err(DevError::PortInUse {
                host: host.to_string(),
                port: p,
            }),
            Err(e) => Err(DevError::CannotListen {
                host: host.to_string(),
                port: p,
                reason: Some(e.to_string()),
            }),
        },
        None => {
            const DEFAULT: u16 = 3000;
            for p in DEFAULT..DEFAULT + 100 {
                match try_bind(p) {
                    Ok(_) => {
                        let note =
                            (p != DEFAULT).then(|| format!("port {DEFAULT} is in use; using {p}"));
                        return Ok((p, note));
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => continue,
                    Err(e) => {
                        return Err(DevError::CannotListen {
                            host: host.to_string(),
                            port: p,
                            reason: Some(e.to_string()),
                        });
                    }
                }
            }
            Err(DevError::AllPortsInUse {
                host: host.to_string(),
                from: DEFAULT,
                to: DEFAULT + 99,
            })
        }
    }
}

/// The host as it stands in a URL (an IPv6 address in brackets).
pub(super) fn shown_host(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

/// Where this process reaches the webserver (a wildcard address is reached on loopback).
pub(super) fn client_host(host: &str) -> String {
    match host {
        "0.0.0.0" | "" => "127.0.0.1".into(),
        "::" => "[::1]".into(),
        h => shown_host(h),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_taken_port_is_an_error_when_asked_for_and_skipped_by_default() {
        let taken = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let p = taken.local_addr().unwrap().port();
        let err = choose_port("127.0.0.1", Some(p)).unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("port {p} on 127.0.0.1 is in use"))
        );
        assert!(matches!(err, DevError::PortInUse { port, .. } if port == p));
        let (free, note) = choose_port("127.0.0.1", Some(0)).unwrap();
        assert!(free > 0 && note.is_none());
    }
}
