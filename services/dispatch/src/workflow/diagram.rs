//! Renders the transition table as a Mermaid state diagram and a table,
//! for `docs/workflow.md`. A test keeps the document equal to the table.

use super::machine::{To, TABLE};

/// The Mermaid `stateDiagram-v2` of the workflow.
pub fn mermaid() -> String {
    let mut out = String::from("```mermaid\nstateDiagram-v2\n    [*] --> queued: dispatched\n");
    for rule in TABLE {
        for from in rule.from {
            for to in rule.to {
                let to = match to {
                    To::Same => from,
                    To::State(state) => state,
                };
                out += &format!(
                    "    {} --> {}: {}\n",
                    from.as_str(),
                    to.as_str(),
                    rule.step.event()
                );
            }
        }
    }
    out += "    closed --> [*]\n    withdrawn --> [*]\n```\n";
    out
}

/// A Markdown table: step, from, to, who, note.
pub fn table() -> String {
    let mut out = String::from("| step | from | to | who | note |\n|---|---|---|---|---|\n");
    for rule in TABLE {
        let from = rule
            .from
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let to = rule
            .to
            .iter()
            .map(|t| match t {
                To::Same => "(same)",
                To::State(state) => state.as_str(),
            })
            .collect::<Vec<_>>()
            .join(", ");
        out += &format!(
            "| {} | {from} | {to} | {} | {} |\n",
            rule.step.event(),
            rule.who.describe(),
            rule.note
        );
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn docs_show_the_table_in_force() {
        let path =
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/workflow.md");
        let doc = std::fs::read_to_string(&path).expect("docs/workflow.md exists");
        assert!(
            doc.contains(&super::mermaid()) && doc.contains(&super::table()),
            "docs/workflow.md is out of date: regenerate it with `cargo test -p mesh-dispatch -- --ignored print_workflow_doc --nocapture`"
        );
    }

    /// Prints the generated parts of docs/workflow.md.
    #[test]
    #[ignore]
    fn print_workflow_doc() {
        println!("{}\n{}", super::mermaid(), super::table());
    }
}
