//! The `timeouts { create = "30m" }` block, as Terraform practitioners know it from other
//! providers: its schema, its model, and Go's duration syntax (`90s`, `1h30m`, `1.5h`),
//! which is what Terraform's own documentation and every Go provider accept.

use std::time::Duration;

use super::diagnostics::Diagnostics;
use super::path::AttributePath;
use super::schema::{Attribute, Block, NestedBlock, Nesting};
use super::value::Attr;

crate::model! {
    /// The `timeouts` block: one optional duration per operation.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct Timeouts {
        /// Time limit of a create.
        pub create: Attr<String>,
        /// Time limit of an update.
        pub update: Attr<String>,
        /// Time limit of a delete.
        pub delete: Attr<String>,
    }
}

/// The operations a `timeouts` block names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// Create.
    Create,
    /// Update.
    Update,
    /// Delete.
    Delete,
    /// Import (no `timeouts` entry: it uses the create limit).
    Import,
}

impl Operation {
    /// The attribute name, as written in HCL.
    pub fn name(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Update => "update",
            Operation::Delete => "delete",
            Operation::Import => "import",
        }
    }
}

const OPERATIONS: [Operation; 3] = [Operation::Create, Operation::Update, Operation::Delete];

/// The block's schema; `waiting_for` says what each operation's limit bounds, e.g.
/// "licence processing", and `summary` what the block as a whole does.
pub fn block(summary: &str, waiting_for: impl Fn(Operation) -> &'static str, default: &str) -> NestedBlock {
    let block = Block {
        attributes: OPERATIONS
            .iter()
            .map(|op| {
                let waiting_for = waiting_for(*op);
                let op = op.name();
                Attribute::string(op).optional().description(format!(
                    "How long to wait for {waiting_for} on {op}, e.g. `30m` or `1h30m` (default `{default}`)."
                ))
            })
            .collect(),
        description: summary.to_owned(),
        ..Block::default()
    };
    NestedBlock::new("timeouts", Nesting::Single, block)
}

impl Timeouts {
    fn text(&self, operation: Operation) -> Option<&str> {
        match operation {
            Operation::Create | Operation::Import => self.create.known(),
            Operation::Update => self.update.known(),
            Operation::Delete => self.delete.known(),
        }
        .map(String::as_str)
    }

    /// The limit for `operation`: the configured one, else `default`.
    pub fn limit(timeouts: &Attr<Timeouts>, operation: Operation, default: Duration) -> Duration {
        timeouts
            .known()
            .and_then(|t| t.text(operation))
            .and_then(parse_duration)
            .unwrap_or(default)
    }

    /// An error on each duration that does not parse.
    pub fn validate(timeouts: &Attr<Timeouts>, diags: &mut Diagnostics) {
        let Some(timeouts) = timeouts.known() else {
            return;
        };
        for operation in OPERATIONS {
            if let Some(text) = timeouts.text(operation)
                && parse_duration(text).is_none()
            {
                diags.attribute_error(
                    AttributePath::attr("timeouts").attribute(operation.name()),
                    "Invalid Timeout",
                    format!("{text:?} is not a duration; write it like 30m, 1h30m, 1.5h or 90s."),
                );
            }
        }
    }
}

/// Parses a positive Go duration: decimal numbers, each with a unit (`ns`, `us`, `µs`,
/// `ms`, `s`, `m`, `h`), as in `300ms`, `1.5h` or `2h45m`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let number_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let (number, after) = rest.split_at(number_len);
        if number.is_empty() || number == "." {
            return None;
        }
        let number: f64 = number.parse().ok()?;
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        let seconds = match unit {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        total += number * seconds;
        rest = after;
    }
    (total > 0.0 && total.is_finite()).then(|| Duration::from_secs_f64(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations_parse() {
        let cases = [
            ("15m", Some(900.0)),
            ("1h30m", Some(5400.0)),
            ("1.5h", Some(5400.0)),
            ("90s", Some(90.0)),
            ("300ms", Some(0.3)),
            ("2h45m10s", Some(9910.0)),
            ("soon", None),
            ("10", None),
            ("", None),
            ("0s", None),
            ("-5m", None),
            ("1x", None),
            (".m", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_duration(text).map(|d| d.as_secs_f64()), expected, "{text:?}");
        }
    }

    #[test]
    fn the_limit_falls_back_to_the_default_and_bad_values_are_placed() {
        let default = Duration::from_secs(60);
        let timeouts = Attr::Known(Timeouts {
            create: Attr::Known("2m".into()),
            update: Attr::Known("later".into()),
            delete: Attr::Null,
        });
        assert_eq!(
            Timeouts::limit(&timeouts, Operation::Create, default),
            Duration::from_secs(120)
        );
        assert_eq!(Timeouts::limit(&timeouts, Operation::Delete, default), default);
        assert_eq!(Timeouts::limit(&Attr::Null, Operation::Create, default), default);
        let mut diags = Diagnostics::new();
        Timeouts::validate(&timeouts, &mut diags);
        let paths: Vec<_> = diags.iter().map(|d| d.path.clone().unwrap().to_string()).collect();
        assert_eq!(paths, vec!["timeouts.update"]);
    }
}
