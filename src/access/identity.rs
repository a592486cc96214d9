//! Who is asking. For `dg launch` and `dg access explain` the person is `DG_RS_USER`, else
//! git's `user.email`, else the OS user: a guardrail for laptops and CI, not authentication.
//! For the proxy the person comes from a trusted header set by an SSO proxy in front, or from
//! a bearer token listed (hashed) in the policy's tokens file: that is authentication.

use super::error::AccessError;
use super::parse::is_email;
use crate::error::{Problem, SourcePos};
use crate::process::Cmd;
use serde::Serialize;
use sha2::Digest;
use std::path::Path;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Person {
    /// Lower-cased, as grants are compared.
    pub(crate) id: String,
    pub(crate) source: PersonSource,
}

/// Where a person's identity came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PersonSource {
    DgRsUser,
    GitUserEmail,
    OsUser,
    Argument,
    Header,
    Token,
}

impl PersonSource {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            PersonSource::DgRsUser => "DG_RS_USER",
            PersonSource::GitUserEmail => "git user.email",
            PersonSource::OsUser => "the OS user",
            PersonSource::Argument => "the command line",
            PersonSource::Header => "the identity header",
            PersonSource::Token => "a bearer token",
        }
    }
}

impl Person {
    pub(crate) fn new(id: &str, source: PersonSource) -> Self {
        Person {
            id: id.trim().to_lowercase(),
            source,
        }
    }

    /// Only email addresses can be named by grants; anyone else gets the default role.
    pub(crate) fn is_email(&self) -> bool {
        is_email(&self.id)
    }
}

/// The person running a command on this machine: `dg_rs_user` (the `DG_RS_USER` variable),
/// else `git config user.email` run in `dir`, else `os_user` (`USER`), else the name of the
/// effective uid.
pub(crate) fn launching_person(
    dg_rs_user: Option<&str>,
    os_user: Option<&str>,
    dir: &Path,
) -> Person {
    if let Some(u) = dg_rs_user.filter(|u| !u.trim().is_empty()) {
        return Person::new(u, PersonSource::DgRsUser);
    }
    let git = Cmd::new("git")
        .args(["config", "user.email"])
        .cwd(dir)
        .timeout(Duration::from_secs(5))
        .output();
    if let Ok(done) = git
        && done.success()
        && !done.stdout.trim().is_empty()
    {
        return Person::new(done.stdout.trim(), PersonSource::GitUserEmail);
    }
    let name = os_user
        .filter(|u| !u.trim().is_empty())
        .map(str::to_string)
        .unwrap_or_else(uid_name);
    Person::new(&name, PersonSource::OsUser)
}

/// The login name of the effective uid, or `uid N` when it has none.
fn uid_name() -> String {
    let uid = nix::unistd::geteuid();
    match nix::unistd::User::from_uid(uid) {
        Ok(Some(user)) => user.name,
        _ => format!("uid {uid}"),
    }
}

/// A hash algorithm a tokens file may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenHash {
    Blake3,
    Sha256,
}

#[derive(Debug, Clone)]
struct TokenEntry {
    person: String,
    hash: TokenHash,
    digest: [u8; 32],
}

/// The proxy's bearer tokens: one line per token, `PERSON ALGORITHM:HEX`, where ALGORITHM is
/// `sha256` (what `printf %s "$TOKEN" | sha256sum` prints) or `blake3` (`b3sum`), and HEX is
/// the digest of the token. `#` starts a comment. The file never holds a token itself.
#[derive(Debug, Clone, Default)]
pub(crate) struct TokenFile {
    entries: Vec<TokenEntry>,
}

impl TokenFile {
    pub(crate) fn read(path: &Path) -> Result<TokenFile, AccessError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            AccessError::Config(vec![
                Problem::new(format!(
                    "could not read the tokens file {}: {e}",
                    path.display()
                ))
                .hint(
                    "create it (one `PERSON sha256:HEX` line per token) or fix \
                           `[access.proxy] tokens_file` in dg-rs.toml",
                ),
            ])
        })?;
        Self::parse(path, &text)
    }

    pub(crate) fn parse(path: &Path, text: &str) -> Result<TokenFile, AccessError> {
        let mut entries = Vec::new();
        let mut problems = Vec::new();
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            let start = offset;
            offset += line.len();
            let content = line.split('#').next().unwrap_or("").trim_end();
            let lead = content.len() - content.trim_start().len();
            let mut fields = content.split_whitespace();
            let (Some(person), Some(hash)) = (fields.next(), fields.next()) else {
                if !content.trim().is_empty() {
                    problems.push(
                        Problem::new("a token line needs a person and a hash")
                            .at(SourcePos::from_span(path, text, start..start + line.len()))
                            .hint("write `alice@example.com sha256:<hex digest of the token>`"),
                    );
                }
                continue;
            };
            let hash_start = start + content.find(hash).unwrap_or(lead);
            let span = hash_start..hash_start + hash.len();
            if fields.next().is_some() {
                problems.push(
                    Problem::new("a token line has exactly two fields")
                        .at(SourcePos::from_span(
                            path,
                            text,
                            start + lead..start + content.len(),
                        ))
                        .hint("write `PERSON ALGORITHM:HEX`; `#` starts a comment"),
                );
                continue;
            }
            if !is_email(person) {
                problems.push(
                    Problem::new(format!("`{person}` is not an email address"))
                        .at(SourcePos::from_span(
                            path,
                            text,
                            start + lead..start + lead + person.len(),
                        ))
                        .hint("tokens belong to people named as in the policy: alice@example.com"),
                );
                continue;
            }
            let parsed = match hash.split_once(':') {
                Some(("sha256", hex)) => decode_hex(hex).map(|d| (TokenHash::Sha256, d)),
                Some(("blake3", hex)) => decode_hex(hex).map(|d| (TokenHash::Blake3, d)),
                _ => None,
            };
            match parsed {
                Some((hash, digest)) => entries.push(TokenEntry {
                    person: person.to_lowercase(),
                    hash,
                    digest,
                }),
                None => problems.push(
                    Problem::new(format!("`{hash}` is not a token hash"))
                        .at(SourcePos::from_span(path, text, span))
                        .hint(
                            "write sha256:<64 hex digits> (printf %s \"$TOKEN\" | sha256sum) or \
                               blake3:<64 hex digits> (b3sum)",
                        ),
                ),
            }
        }
        if problems.is_empty() {
            Ok(TokenFile { entries })
        } else {
            Err(AccessError::Config(problems))
        }
    }

    /// The person a presented token belongs to.
    pub(crate) fn person_for(&self, token: &str) -> Option<&str> {
        let sha: [u8; 32] = sha2::Sha256::digest(token.as_bytes()).into();
        let b3: [u8; 32] = *blake3::hash(token.as_bytes()).as_bytes();
        self.entries
            .iter()
            .find(|e| match e.hash {
                TokenHash::Sha256 => e.digest == sha,
                TokenHash::Blake3 => e.digest == b3,
            })
            .map(|e| e.person.as_str())
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

fn decode_hex(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha_hex(token: &str) -> String {
        sha2::Sha256::digest(token.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    #[test]
    fn tokens_are_matched_by_their_hash_only() {
        let text = format!(
            "# CI and a script\nci@example.com sha256:{}\nBob@Example.com blake3:{}  # bob\n",
            sha_hex("s3cret"),
            blake3::hash(b"other").to_hex()
        );
        let file = TokenFile::parse(Path::new("tokens"), &text).unwrap();
        assert_eq!(file.len(), 2);
        assert_eq!(file.person_for("s3cret"), Some("ci@example.com"));
        assert_eq!(file.person_for("other"), Some("bob@example.com"));
        assert_eq!(file.person_for("s3cre"), None);
        assert_eq!(file.person_for(&sha_hex("s3cret")), None);
    }

    #[test]
    fn bad_token_lines_are_reported_with_positions() {
        let text = "ok@example.com sha256:abc\nnot-an-email sha256:00\njust-one-field\n";
        let Err(AccessError::Config(problems)) = TokenFile::parse(Path::new("tokens"), text) else {
            panic!("expected problems");
        };
        let at: Vec<(usize, usize)> = problems
            .iter()
            .map(|p| p.at.as_ref().map(|a| (a.line, a.column)).unwrap())
            .collect();
        assert_eq!(at, vec![(1, 16), (2, 1), (3, 1)]);
        assert!(problems[0].message.contains("not a token hash"));
        assert!(problems[1].message.contains("not an email address"));
    }

    #[test]
    fn the_launching_person_prefers_dg_rs_user() {
        let dir = tempfile::tempdir().unwrap();
        let p = launching_person(Some(" Carol@Example.com "), Some("root"), dir.path());
        assert_eq!(p, Person::new("carol@example.com", PersonSource::DgRsUser));
    }
}
