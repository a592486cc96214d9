//! Names create-dagster derives from a path, and the rule they must follow: the folder name
//! with `-` → `_` becomes the Python package, so it must be a Python identifier.

use super::error::{Result, ScaffoldError};

const PYTHON_KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

/// Top-level modules of Python 3.10-3.13's standard library (`sys.stdlib_module_names`, the
/// private `_`-prefixed ones left out), plus `test`: a project package with one of these
/// names would shadow the module for the whole location.
const STDLIB_MODULES: &[&str] = &[
    "abc",
    "aifc",
    "antigravity",
    "argparse",
    "array",
    "ast",
    "asynchat",
    "asyncio",
    "asyncore",
    "atexit",
    "audioop",
    "base64",
    "bdb",
    "binascii",
    "binhex",
    "bisect",
    "builtins",
    "bz2",
    "cProfile",
    "calendar",
    "cgi",
    "cgitb",
    "chunk",
    "cmath",
    "cmd",
    "code",
    "codecs",
    "codeop",
    "collections",
    "colorsys",
    "compileall",
    "concurrent",
    "configparser",
    "contextlib",
    "contextvars",
    "copy",
    "copyreg",
    "crypt",
    "csv",
    "ctypes",
    "curses",
    "dataclasses",
    "datetime",
    "dbm",
    "decimal",
    "difflib",
    "dis",
    "distutils",
    "doctest",
    "email",
    "encodings",
    "ensurepip",
    "enum",
    "errno",
    "faulthandler",
    "fcntl",
    "filecmp",
    "fileinput",
    "fnmatch",
    "fractions",
    "ftplib",
    "functools",
    "gc",
    "genericpath",
    "getopt",
    "getpass",
    "gettext",
    "glob",
    "graphlib",
    "grp",
    "gzip",
    "hashlib",
    "heapq",
    "hmac",
    "html",
    "http",
    "idlelib",
    "imaplib",
    "imghdr",
    "imp",
    "importlib",
    "inspect",
    "io",
    "ipaddress",
    "itertools",
    "json",
    "keyword",
    "lib2to3",
    "linecache",
    "locale",
    "logging",
    "lzma",
    "mailbox",
    "mailcap",
    "marshal",
    "math",
    "mimetypes",
    "mmap",
    "modulefinder",
    "msilib",
    "msvcrt",
    "multiprocessing",
    "netrc",
    "nis",
    "nntplib",
    "nt",
    "ntpath",
    "nturl2path",
    "numbers",
    "opcode",
    "operator",
    "optparse",
    "os",
    "ossaudiodev",
    "pathlib",
    "pdb",
    "pickle",
    "pickletools",
    "pipes",
    "pkgutil",
    "platform",
    "plistlib",
    "poplib",
    "posix",
    "posixpath",
    "pprint",
    "profile",
    "pstats",
    "pty",
    "pwd",
    "py_compile",
    "pyclbr",
    "pydoc",
    "pydoc_data",
    "pyexpat",
    "queue",
    "quopri",
    "random",
    "re",
    "readline",
    "reprlib",
    "resource",
    "rlcompleter",
    "runpy",
    "sched",
    "secrets",
    "select",
    "selectors",
    "shelve",
    "shlex",
    "shutil",
    "signal",
    "site",
    "smtpd",
    "smtplib",
    "sndhdr",
    "socket",
    "socketserver",
    "spwd",
    "sqlite3",
    "sre_compile",
    "sre_constants",
    "sre_parse",
    "ssl",
    "stat",
    "statistics",
    "string",
    "stringprep",
    "struct",
    "subprocess",
    "sunau",
    "symtable",
    "sys",
    "sysconfig",
    "syslog",
    "tabnanny",
    "tarfile",
    "telnetlib",
    "tempfile",
    "termios",
    "textwrap",
    "this",
    "threading",
    "time",
    "timeit",
    "tkinter",
    "token",
    "tokenize",
    "tomllib",
    "trace",
    "traceback",
    "tracemalloc",
    "tty",
    "turtle",
    "turtledemo",
    "types",
    "typing",
    "unicodedata",
    "unittest",
    "urllib",
    "uu",
    "uuid",
    "venv",
    "warnings",
    "wave",
    "weakref",
    "webbrowser",
    "winreg",
    "winsound",
    "wsgiref",
    "xdrlib",
    "xml",
    "xmlrpc",
    "zipapp",
    "zipfile",
    "zipimport",
    "zlib",
    "zoneinfo",
    "test",
];

/// Dagster's own packages and the tools every environment has: a project package with one
/// of these names hides them from the location (as `dagster` would hide Dagster itself).
const TOOL_MODULES: &[&str] = &[
    "dagster",
    "dagster_webserver",
    "dagster_graphql",
    "dagster_pipes",
    "dagster_shared",
    "dagster_dg_cli",
    "dagster_dg_core",
    "dagster_cloud",
    "dagster_cloud_cli",
    "dagster_postgres",
    "dagster_docker",
    "dagster_k8s",
    "dagster_aws",
    "dagster_gcp",
    "dagster_azure",
    "dagster_dbt",
    "dagster_celery",
    "dagster_mysql",
    "dagster_duckdb",
    "dagster_snowflake",
    "dagster_pandas",
    "create_dagster",
    "pip",
    "setuptools",
    "wheel",
    "pytest",
    "hatchling",
];

/// Whether `s` is a Python identifier that is not a keyword.
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
        && !PYTHON_KEYWORDS.contains(&s)
}

/// The package name real create-dagster derives from a folder name (`data-science` →
/// `data_science`), validated. `what` is "project" or "workspace".
pub fn package_name(folder: &str, what: &'static str) -> Result<String> {
    let name = folder.replace('-', "_");
    if !is_identifier(&name) {
        let why = if PYTHON_KEYWORDS.contains(&name.as_str()) {
            "a Python keyword"
        } else {
            "not a Python identifier"
        };
        return Err(ScaffoldError::NotAnIdentifier {
            folder: folder.to_string(),
            what,
            name,
            why,
        });
    }
    if what == "project" && !folder.starts_with(|c: char| c.is_alphabetic()) {
        return Err(ScaffoldError::NotStartingWithALetter {
            folder: folder.to_string(),
        });
    }
    if what == "project" {
        let shadowed = if TOOL_MODULES.contains(&name.as_str()) {
            Some("Dagster's own package or a tool every environment has")
        } else if STDLIB_MODULES.contains(&name.as_str()) {
            Some("a module of Python's standard library")
        } else {
            None
        };
        if let Some(what_it_is) = shadowed {
            return Err(ScaffoldError::HidesAModule {
                folder: folder.to_string(),
                name,
                hidden: what_it_is,
            });
        }
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dashes_become_underscores() {
        assert_eq!(
            package_name("data-science", "project").unwrap(),
            "data_science"
        );
        assert_eq!(package_name("x_1", "project").unwrap(), "x_1");
    }

    #[test]
    fn rejects_what_python_cannot_import() {
        for bad in [
            "1abc",
            "a.b",
            "my project",
            "class",
            "",
            "dagster",
            "a+b",
            "os",
            "sys",
            "test",
            "dagster-webserver",
            "-x",
            "_x",
        ] {
            assert!(package_name(bad, "project").is_err(), "{bad}");
        }
        assert!(package_name("dagster", "workspace").is_ok());
    }
}
