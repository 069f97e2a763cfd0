//! The help block: every setting, its help and its current value, aligned.

use figment::value::Value;

use super::Config;
use super::setting::declared;

/// What stands for a secret setting's value.
pub const SECRET: &str = "(secret)";

/// The narrowest name column, as the original runner printed it.
const MIN_NAME_WIDTH: usize = 14;

/// `config settings:` then one line per setting: name, help, `(valid range)` if it declares one,
/// `[current value]` (`[(secret)]` for a secret one). The name
/// column is as wide as the longest name (at least 14), and a help text's later lines are
/// indented to the help column.
pub(crate) fn render(config: &Config) -> String {
    let mut all: Vec<_> = declared().to_vec();
    all.dedup_by_key(|d| d.name);
    let width = all.iter().map(|d| d.name.len()).max().unwrap_or(0).max(MIN_NAME_WIDTH);
    let indent = " ".repeat(2 + width + 1);
    let mut out = String::from("config settings:\n");
    for declared in all {
        let current = config.shown(declared).unwrap_or_else(|| declared.default_value());
        let mut help = declared.help.trim().lines().map(str::trim).collect::<Vec<_>>().join(&format!("\n{indent}"));
        if let Some(valid) = declared.valid() {
            help.push_str(&format!(" ({valid})"));
        }
        let shown = if declared.is_secret() { SECRET.to_string() } else { render_value(&current) };
        out.push_str(&format!("  {:<width$} {help} [{shown}]\n", declared.name));
    }
    out
}

/// A value as a person would write it: strings bare, lists in brackets, tables in braces.
pub(crate) fn render_value(value: &Value) -> String {
    match value {
        Value::String(_, s) => s.clone(),
        Value::Char(_, c) => c.to_string(),
        Value::Bool(_, b) => b.to_string(),
        Value::Num(_, n) => match n.to_f64() {
            Some(f) if n.to_i128().is_none() && n.to_u128().is_none() => f.to_string(),
            _ => n.to_i128().map(|i| i.to_string()).or_else(|| n.to_u128().map(|u| u.to_string())).unwrap_or_default(),
        },
        Value::Empty(_, _) => "none".to_string(),
        Value::Array(_, items) => format!("[{}]", items.iter().map(render_value).collect::<Vec<_>>().join(", ")),
        Value::Dict(_, dict) => format!(
            "{{{}}}",
            dict.iter().map(|(k, v)| format!("{k} = {}", render_value(v))).collect::<Vec<_>>().join(", ")
        ),
    }
}
