//! The command line of the `ginkgo` bench target.

use std::process::ExitCode;
use std::time::Instant;

use crate::Mode;
use crate::cases::{self, Case};
use crate::machine::Machine;
use crate::report::Table;

const USAGE: &str = "\
usage: cargo bench -p ginkgo-bench -- [--quick | --full] [--list] [CASE...]

Measures Ginkgo against hand-written baselines in alternating rounds and prints a table.

  --quick   a few seconds per case, for routine use
  --full    the sizes the targets are stated for (the default); the run for docs/benchmarks.md
  --list    list the cases and exit
  CASE      run only the cases whose name contains one of these words";

/// What the command line asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Quick or full.
    pub mode: Mode,
    /// Only list the cases.
    pub list: bool,
    /// Only print the usage.
    pub help: bool,
    /// Words that pick cases by name; empty picks every case.
    pub only: Vec<String>,
}

impl Options {
    /// Reads the arguments that follow the program's name.
    ///
    /// `--bench`, which `cargo bench` passes to every bench target, is accepted and ignored.
    ///
    /// ```
    /// use ginkgo_bench::Mode;
    /// use ginkgo_bench::cli::Options;
    ///
    /// let options = Options::parse(["--bench", "--quick", "tree"].map(String::from)).unwrap();
    /// assert_eq!(options.mode, Mode::Quick);
    /// assert!(options.selects("tree") && !options.selects("spawn-tokio"));
    /// assert!(Options::parse(["--fast".to_string()]).is_err());
    /// ```
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
        let mut options = Options { mode: Mode::Full, list: false, help: false, only: Vec::new() };
        for arg in args {
            match arg.as_str() {
                "--quick" => options.mode = Mode::Quick,
                "--full" => options.mode = Mode::Full,
                "--list" => options.list = true,
                "--help" | "-h" => options.help = true,
                "--bench" => {}
                flag if flag.starts_with('-') => return Err(format!("unknown option `{flag}`")),
                word => options.only.push(word.to_string()),
            }
        }
        Ok(options)
    }

    /// True if the case called `name` should run.
    pub fn selects(&self, name: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|word| name.contains(word.as_str()))
    }
}

/// Runs the suite as the command line `args` (the program's name excluded) asks, printing the
/// table on standard output and progress on standard error.
pub fn run(args: impl IntoIterator<Item = String>) -> ExitCode {
    let options = match Options::parse(args) {
        Ok(options) => options,
        Err(err) => {
            eprintln!("ginkgo-bench: {err}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if options.help {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let chosen: Vec<Case> = cases::all().into_iter().filter(|case| options.selects(case.name)).collect();
    if options.list {
        for case in cases::all() {
            println!("{:<14} {}", case.name, case.about);
        }
        return ExitCode::SUCCESS;
    }
    if chosen.is_empty() {
        eprintln!("ginkgo-bench: no case matches {:?}; see --list", options.only);
        return ExitCode::from(2);
    }

    println!("ginkgo-bench, {} mode, on {}", options.mode.name(), Machine::detect());
    let mut rows = Vec::new();
    for case in chosen {
        eprint!("{}: {} ... ", case.name, case.about);
        let began = Instant::now();
        rows.extend((case.run)(options.mode));
        eprintln!("{:.1} s", began.elapsed().as_secs_f64());
    }
    println!();
    print!("{}", Table(rows));
    ExitCode::SUCCESS
}
