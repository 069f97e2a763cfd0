//! What the commands say about themselves: their help, version, manual page and completion
//! script, all on standard output.

use clap::Command;

use crate::args::Meta;
use crate::console::{self, say};

/// Prints what `meta` asks about `command`.
pub(crate) fn print(meta: Meta, command: Command) {
    match meta {
        Meta::Help => print_help(command),
        Meta::Version => say!("{}", version(&command)),
        Meta::Man => console::write_stdout(&String::from_utf8_lossy(&manual_page(command))),
        Meta::Completions(shell) => {
            let mut script = Vec::new();
            let name = command.get_name().to_string();
            clap_complete::generate(shell, &mut command.clone(), name, &mut script);
            console::write_stdout(&String::from_utf8_lossy(&script));
        }
    }
}

/// clap's help for `command`, styled on a terminal.
pub(crate) fn print_help(mut command: Command) {
    let help = command.render_help();
    let text = if console::stdout_has_colour() { help.ansi().to_string() } else { help.to_string() };
    console::write_stdout(&text);
}

/// `greeter 1.2.0`, or the name alone for an application that gave no version.
fn version(command: &Command) -> String {
    match command.get_version() {
        Some(version) => format!("{} {version}", command.get_name()),
        None => command.get_name().to_string(),
    }
}

/// The manual page of `command`, in roff, section 1.
fn manual_page(command: Command) -> Vec<u8> {
    let source = version(&command);
    let mut page = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = clap_mangen::Man::new(command).source(source).manual("User Commands").render(&mut page);
    page
}
