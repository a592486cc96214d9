//! The `{{ … }}` templates in a document's attributes: each must parse, and name only
//! variables Dagster puts in scope for the component type (`env`, `dg`, `context`, …, the
//! type's own template variables), which the location's registry lists.

use super::tree::Doc;
use super::validate::Finding;
use crate::components::TemplateScope;
use crate::suggest::closest;

/// Jinja's own globals, in scope in every template.
const JINJA_GLOBALS: &[&str] = &["range", "dict", "lipsum", "cycler", "joiner", "namespace"];

/// Problems with the templates below `attributes`. `scope` is `None` when the names in
/// scope cannot be known (a `template_vars_module`, or a registry that did not list them):
/// then only the syntax is checked.
pub(crate) fn check(doc: &Doc, scope: Option<&TemplateScope>) -> Vec<Finding> {
    let env = minijinja::Environment::new();
    let mut out = Vec::new();
    for (path, text, _) in doc.strings() {
        if path.first().is_none_or(|p| p != "attributes") || !is_template(text) {
            continue;
        }
        // Left to the component (a SQL template rendered with its own variables).
        if scope.is_some_and(|s| path.get(1).is_some_and(|a| s.untemplated.contains(a))) {
            continue;
        }
        let tmpl = match env.template_from_str(text) {
            Ok(t) => t,
            Err(e) => {
                out.push(Finding::new(
                    path,
                    false,
                    format!(
                        "this template does not parse: {}",
                        e.detail().unwrap_or("syntax error")
                    ),
                ));
                continue;
            }
        };
        let Some(scope) = scope.map(|s| &s.names) else {
            continue;
        };
        let mut unknown: Vec<String> = tmpl
            .undeclared_variables(false)
            .into_iter()
            .filter(|v| !scope.iter().any(|s| s == v) && !JINJA_GLOBALS.contains(&v.as_str()))
            .collect();
        unknown.sort();
        for name in unknown {
            let names: Vec<&str> = scope.iter().map(String::as_str).collect();
            let guess = closest(&name, &names).map(|c| format!("did you mean `{c}`? "));
            out.push(
                Finding::new(
                    path.clone(),
                    false,
                    format!("unknown template variable `{name}`"),
                )
                .hint(Some(format!(
                    "{}the variables in scope here: {}",
                    guess.unwrap_or_default(),
                    names.join(", ")
                ))),
            );
        }
    }
    out
}

fn is_template(s: &str) -> bool {
    s.contains("{{") || s.contains("{%")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> TemplateScope {
        TemplateScope {
            names: ["env", "dg", "context"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            untemplated: vec!["sql".into()],
        }
    }

    #[test]
    fn unknown_variables_and_bad_syntax_are_found_below_attributes_only() {
        let docs = super::super::tree::parse(
            "type: a.B\nattributes:\n  x: \"{{ env('X') }}\"\n  y: \"{{ evn('Y') }}\"\n  z: \"{{ range(3) | list }}\"\n  w: \"{{ oops\"\n  sql: \"{{ table }}\"\npost_processing: {assets: [{target: \"{{ nope }}\"}]}\n",
        )
        .unwrap();
        let mut fs = check(&docs[0], Some(&scope()));
        fs.sort_by(|a, b| b.path.cmp(&a.path));
        let got: Vec<(String, &str)> = fs
            .iter()
            .map(|f| (f.path.join("."), f.message.as_str()))
            .collect();
        assert_eq!(got.len(), 2, "{fs:?}");
        assert_eq!(
            got[0],
            ("attributes.y".into(), "unknown template variable `evn`")
        );
        assert!(
            fs[0]
                .hint
                .as_deref()
                .unwrap()
                .starts_with("did you mean `env`?")
        );
        assert_eq!(got[1].0, "attributes.w");
        assert!(got[1].1.starts_with("this template does not parse"));
        // Without a known scope only the syntax is checked.
        assert_eq!(check(&docs[0], None).len(), 1);
    }
}
