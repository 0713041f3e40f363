//! The command line, as clap parses it; nothing here is validated beyond its shape.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Measure what programs cost: monitor a process tree, or benchmark commands with their resource profiles.
#[derive(Debug, Parser)]
#[command(name = "denet", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// `denet bench`, whose errors follow hyperfine's contract rather than denet's.
    pub fn is_bench(&self) -> bool {
        matches!(self.command, Command::Bench(_))
    }
}

/// How a monitor samples (`run`, `attach`); `bench` has its own `--sample-interval`.
#[derive(Debug, Args)]
#[command(next_help_heading = "Sampling")]
pub struct SamplingArgs {
    /// Base sampling interval in milliseconds, or with a unit (50ms, 0.5s) [default: 100]
    #[arg(short = 'i', long, value_name = "DURATION")]
    pub interval: Option<String>,
    /// Maximum sampling interval; the interval ramps from the base to this between 1 s and 10 s of runtime [default: 1000]
    #[arg(short = 'm', long, value_name = "DURATION")]
    pub max_interval: Option<String>,
    /// How to read processes: procfs (Linux, every metric) or sysinfo (portable, fewer metrics).
    #[arg(long, value_enum, default_value_t = BackendArg::Auto)]
    pub backend: BackendArg,
}

/// Where a monitor's records go and what people see (`run`, `attach`).
#[derive(Debug, Args)]
#[command(next_help_heading = "Output")]
pub struct RecordArgs {
    /// Write JSONL records to stdout (the command's stdout then goes to stderr).
    #[arg(long)]
    pub json: bool,
    /// Write JSONL records to FILE.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// No live status line and no summary table on stderr.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Add an `env` record (host, kernel, CPU, governor, affinity, THP, SMT) to the output.
    #[arg(long)]
    pub env_record: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendArg {
    /// procfs on Linux, sysinfo elsewhere.
    Auto,
    Procfs,
    Sysinfo,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Benchmark commands (hyperfine 2.0's command line) with each run's resource profile.
    Bench(Box<BenchArgs>),
    /// Run a command and monitor it and all its children until it exits.
    Run(RunArgs),
    /// Monitor a running process and all its children.
    Attach(AttachArgs),
    /// Summarise a JSONL recording.
    Stats(StatsArgs),
    /// Compare benchmark results with a baseline; exit 1 on a regression.
    Compare(CompareArgs),
    /// Render benchmark results (denet or hyperfine 2.0 JSON) or a recording (JSONL) as an HTML report: `-o FILE.html`.
    Report(ReportArgs),
    /// Check what eBPF can measure here (kernel, privileges, each probe), and why a part cannot.
    Doctor(DoctorArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Print the man page (roff) to stdout.
    Man,
}

/// Each run in a cgroup of its own (docs/cgroups.md), and the limits that need one.
#[derive(Debug, Args, Default)]
#[command(next_help_heading = "Limits")]
pub struct LimitArgs {
    /// Do not put runs in cgroups of their own (no cgroup metrics, strays not killed); on by default.
    #[arg(long, help_heading = "Limits", conflicts_with = "cgroup")]
    pub no_cgroup: bool,
    /// Put each run in cgroups of its own: the default (kept for scripts written when `bench` had none by
    /// default; docs/cgroups.md).
    #[arg(long, help_heading = "Limits")]
    pub cgroup: bool,
    /// Kill the run's whole process tree after this long (seconds, or with a unit: 500ms, 2m); the run fails.
    #[arg(long, value_name = "DURATION", help_heading = "Limits")]
    pub timeout: Option<String>,
    /// Limit the memory charged to the run's cgroup (bytes, or with a unit: 50M, 2G); beyond it the OOM killer acts.
    #[arg(long, value_name = "SIZE", help_heading = "Limits")]
    pub memory_limit: Option<String>,
    /// Leave processes that outlive the run's main process running (they are killed by default).
    #[arg(long, help_heading = "Limits")]
    pub keep_strays: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub sampling: SamplingArgs,
    #[command(flatten)]
    pub record: RecordArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Stop after this long (seconds, or with a unit: 500ms, 2m): the command gets SIGTERM, then SIGKILL 2 s later.
    #[arg(short = 'd', long, value_name = "DURATION", help_heading = "Monitor")]
    pub duration: Option<String>,
    /// Discard the command's stdout and stderr and give it /dev/null as stdin.
    #[arg(short = 's', long, help_heading = "Output")]
    pub silent: bool,
    /// Also count syscalls, off-CPU time, processes created and TCP bytes with eBPF (docs/ebpf.md); without the
    /// `ebpf` build feature or the privileges, denet says what is missing once and carries on with /proc data.
    #[arg(long, help_heading = "eBPF")]
    pub ebpf: bool,
    /// The command and its arguments, after `--`.
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CMD",
        help_heading = "Arguments"
    )]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct AttachArgs {
    #[command(flatten)]
    pub sampling: SamplingArgs,
    #[command(flatten)]
    pub record: RecordArgs,
    /// Stop after this long (seconds, or with a unit: 500ms, 2m).
    #[arg(short = 'd', long, value_name = "DURATION", help_heading = "Monitor")]
    pub duration: Option<String>,
    /// Also count syscalls, off-CPU time, processes created and TCP bytes with eBPF (docs/ebpf.md); without the
    /// `ebpf` build feature or the privileges, denet says what is missing once and carries on with /proc data.
    #[arg(long, help_heading = "eBPF")]
    pub ebpf: bool,
    /// The process to monitor.
    #[arg(help_heading = "Arguments")]
    pub pid: u32,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// A JSONL recording written by `denet run --out` or `--json`.
    pub file: PathBuf,
    /// Print the summary as a JSON `summary` record instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Print the findings as JSON.
    #[arg(long)]
    pub json: bool,
    /// Check what makes benchmarks noisy here instead (governor, turbo, SMT, ASLR, load, swap, throttling,
    /// isolated CPUs, perf_event_paranoid), each with its fix.
    #[arg(long)]
    pub bench: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to generate completions for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `denet bench`: hyperfine 2.0's flags, plus denet's own.
#[derive(Debug, Args)]
#[command(after_help = "Every flag, metric and output format: docs/bench.md, docs/metrics.md, docs/data-format.md")]
pub struct BenchArgs {
    /// The commands to benchmark; the first is the reference for comparisons. Each argument after `--` is a command too.
    #[arg(value_name = "COMMAND", required = true, value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub commands: Vec<String>,
    /// Removed in hyperfine 2.0 (kept to say so): the first command is the reference.
    #[arg(long, hide = true, value_name = "CMD", num_args = 0..=1, default_missing_value = "", value_parser = removed("The --reference option has been removed. Put your reference command first instead."))]
    pub reference: Option<String>,
    /// Removed in hyperfine 2.0 (kept to say so).
    #[arg(long, hide = true, value_name = "NAME", num_args = 0..=1, default_missing_value = "", value_parser = removed("The --reference-name option has been removed (hyperfine 2.0). Put your reference command first, and name it with -n/--command-name."))]
    pub reference_name: Option<String>,
    /// Removed in hyperfine 2.0 (kept to say so).
    #[arg(long, hide = true, value_name = "METHOD", num_args = 0..=1, default_missing_value = "", value_parser = removed("The --sort option has been removed (hyperfine 2.0). Results are shown in the order of the commands; put the reference command first."))]
    pub sort: Option<String>,
    /// Removed in hyperfine 2.0 (kept to say so).
    #[arg(short = 'u', long, hide = true, value_name = "UNIT", num_args = 0..=1, default_missing_value = "", value_parser = removed("The -u/--time-unit option has been removed (hyperfine 2.0). Choose units with --metrics METRIC:UNIT, e.g. --metrics time_wall_clock:ms,memory_peak_resident:MiB."))]
    pub time_unit: Option<String>,
    /// Untimed runs before the timing runs of each command.
    #[arg(short = 'w', long, value_name = "NUM", default_value_t = 0, help_heading = "Run count")]
    pub warmup: u64,
    /// Do at least NUM runs of each command.
    #[arg(short = 'm', long, value_name = "NUM", value_parser = clap::value_parser!(u64).range(1..), help_heading = "Run count")]
    pub min_runs: Option<u64>,
    /// Do at most NUM runs of each command.
    #[arg(short = 'M', long, value_name = "NUM", value_parser = clap::value_parser!(u64).range(1..), help_heading = "Run count")]
    pub max_runs: Option<u64>,
    /// Do exactly NUM runs of each command.
    #[arg(short = 'r', long, value_name = "NUM", conflicts_with_all = ["min_runs", "max_runs"], value_parser = clap::value_parser!(u64).range(1..), help_heading = "Run count")]
    pub runs: Option<u64>,
    /// Run CMD once before each command's series of runs (through the shell).
    #[arg(short = 's', long, value_name = "CMD", help_heading = "Hooks")]
    pub setup: Option<String>,
    /// Run CMD before every run, warmups included; once for all commands or once per command.
    #[arg(short = 'p', long, value_name = "CMD", help_heading = "Hooks")]
    pub prepare: Vec<String>,
    /// Run CMD after every run, warmups included; once for all commands or once per command.
    #[arg(short = 'C', long, value_name = "CMD", help_heading = "Hooks")]
    pub conclude: Vec<String>,
    /// Run CMD once after each command's series of runs.
    #[arg(short = 'c', long, value_name = "CMD", help_heading = "Hooks")]
    pub cleanup: Option<String>,
    /// Benchmark for each number VAR from MIN to MAX, substituted for {VAR}.
    #[arg(short = 'P', long, num_args = 3, value_names = ["VAR", "MIN", "MAX"], allow_hyphen_values = true, conflicts_with = "parameter_list", action = clap::ArgAction::Set, help_heading = "Parameters")]
    pub parameter_scan: Vec<String>,
    /// The step of --parameter-scan (required for non-integer ranges).
    #[arg(
        short = 'D',
        long,
        value_name = "DELTA",
        requires = "parameter_scan",
        allow_hyphen_values = true,
        help_heading = "Parameters"
    )]
    pub parameter_step_size: Option<String>,
    /// Benchmark for each value of a comma-separated list, substituted for {VAR}; repeat for a cartesian product.
    #[arg(short = 'L', long, num_args = 2, value_names = ["VAR", "VALUES"], action = clap::ArgAction::Append, help_heading = "Parameters")]
    pub parameter_list: Vec<String>,
    /// Run commands through a shell: `default` (sh), `none`, or a shell command line (e.g. "bash --norc").
    #[arg(long, value_name = "SHELL", conflicts_with_all = ["default_shell", "no_shell"], overrides_with = "shell", help_heading = "Execution")]
    pub shell: Option<String>,
    /// Run commands through the default shell (sh), as --shell=default.
    #[arg(short = 'S', conflicts_with = "no_shell", help_heading = "Execution")]
    pub default_shell: bool,
    /// Run commands directly, without a shell (the default; kept for hyperfine 1.x scripts).
    #[arg(short = 'N', help_heading = "Execution")]
    pub no_shell: bool,
    /// Ignore non-zero exit codes: all of them, or only the listed ones (--ignore-failure=1,2).
    #[arg(short = 'i', long, value_name = "MODE", num_args = 0..=1, require_equals = true, default_missing_value = "all-non-zero", help_heading = "Execution")]
    pub ignore_failure: Option<String>,
    /// Show the commands' output (same as --output=inherit; the style is then basic).
    #[arg(long, conflicts_with_all = ["output", "style"], help_heading = "Execution")]
    pub show_output: bool,
    /// Where the commands' stdout and stderr go: null, pipe, inherit or a FILE; once or once per command.
    #[arg(long, value_name = "WHERE", help_heading = "Execution")]
    pub output: Vec<String>,
    /// Where the commands' stdin comes from: null or a FILE.
    #[arg(long, value_name = "WHERE", help_heading = "Execution")]
    pub input: Option<String>,
    /// A display name per command (parameters substituted).
    #[arg(short = 'n', long, value_name = "NAME", help_heading = "Output")]
    pub command_name: Vec<String>,
    /// Environment variables for the commands and their hooks: space-separated NAME=VALUE assignments with
    /// shell quoting (`--env 'A=1 B="x y"'`), parameters substituted; once for all commands, or once per command.
    #[arg(long, value_name = "ASSIGNMENTS", help_heading = "Execution")]
    pub env: Vec<String>,
    /// Metrics to show, the first primary: names with optional units (time_wall_clock:ms), or default, time, all.
    #[arg(long, value_name = "METRICS", default_value = "default", help_heading = "Output")]
    pub metrics: String,
    /// Terminal style.
    #[arg(long, value_enum, default_value_t = Style::Auto, help_heading = "Output")]
    pub style: Style,
    /// Run the timing runs of all commands in turns (cmd1, cmd2, cmd1, ...) so drift hits all alike; `random` shuffles each round.
    #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "round-robin", require_equals = true, help_heading = "Execution")]
    pub interleave: Option<InterleaveArg>,
    /// Seed for --interleave=random.
    #[arg(long, value_name = "N", requires = "interleave", help_heading = "Execution")]
    pub seed: Option<u64>,
    /// Sampling interval of the /proc monitor during runs (ramps to 10x between 1 s and 10 s); `0` turns sampling off.
    #[arg(long, value_name = "DURATION", default_value = "10ms", help_heading = "Sampling")]
    pub sample_interval: String,
    /// Also count syscalls, off-CPU time, processes created and TCP bytes with eBPF (docs/ebpf.md); without the
    /// `ebpf` build feature or the privileges, denet says what is missing once and carries on with /proc data.
    #[arg(long, help_heading = "eBPF")]
    pub ebpf: bool,
    /// Significance level for comparisons against the reference.
    #[arg(long, value_name = "ALPHA", default_value_t = 0.05, help_heading = "Statistics")]
    pub alpha: f64,
    /// Between --min-runs and --max-runs (1000 if not given), run until the 95% confidence interval of the
    /// primary metric's mean (with a reference: of the change) is within ±PCT, e.g. 1%.
    #[arg(long, value_name = "PCT", conflicts_with = "runs", help_heading = "Statistics")]
    pub precision: Option<String>,
    /// Pin denet, its spawner and every run to these CPUs (e.g. 2 or 2-3,6): sched_setaffinity.
    #[arg(long, value_name = "LIST", help_heading = "Statistics")]
    pub cpus: Option<String>,
    /// Export results as JSON (hyperfine schema 2 plus denet's metrics); `-` for stdout.
    #[arg(long, value_name = "FILE", help_heading = "Exports")]
    pub export_json: Option<String>,
    /// Export one row per command with every metric's summary as CSV.
    #[arg(long, value_name = "FILE", help_heading = "Exports")]
    pub export_csv: Option<String>,
    /// Export one row per run with every metric as CSV.
    #[arg(long, value_name = "FILE", help_heading = "Exports")]
    pub export_csv_runs: Option<String>,
    /// Export the comparison table as Markdown.
    #[arg(long, value_name = "FILE", help_heading = "Exports")]
    pub export_markdown: Option<String>,
    /// Export the comparison table as AsciiDoc.
    #[arg(long, value_name = "FILE", help_heading = "Exports")]
    pub export_asciidoc: Option<String>,
    /// Export the comparison table as Emacs Org-mode.
    #[arg(long, value_name = "FILE", help_heading = "Exports")]
    pub export_orgmode: Option<String>,
    /// Export a self-contained HTML report with every chart.
    #[arg(long, value_name = "FILE", help_heading = "Exports")]
    pub export_html: Option<String>,
    /// Export each chart as an SVG file into DIR.
    #[arg(long, value_name = "DIR", help_heading = "Exports")]
    pub export_svg: Option<String>,
    /// Compare with a baseline when done: a results file (denet or hyperfine 2.0 JSON) or a NAME in .denet/baselines/.
    #[arg(long, value_name = "FILE|NAME", help_heading = "Regression checks")]
    pub baseline: Option<String>,
    /// Save the results as baseline NAME (.denet/baselines/NAME.json).
    #[arg(long, value_name = "NAME", help_heading = "Regression checks")]
    pub save_baseline: Option<String>,
    /// Check for regressions with these tolerated changes (e.g. time_wall_clock=5%,memory_peak_resident=2MiB):
    /// against --baseline, or else every command against the first [default with --baseline: time_wall_clock=5%,memory_peak_resident=10%,sim_instructions=0.5%]
    #[arg(long, value_name = "SPEC", help_heading = "Regression checks")]
    pub threshold: Option<String>,
    /// With --baseline or --threshold: what makes the exit code 1.
    #[arg(long, value_enum, default_value_t = FailOn::Regression, help_heading = "Regression checks")]
    pub fail_on: FailOn,
    /// With --baseline or --threshold: write the checks as JUnit XML.
    #[arg(long, value_name = "FILE", help_heading = "Regression checks")]
    pub export_junit: Option<String>,
    /// After each command's timing runs, run it once more under valgrind's cachegrind and report exact,
    /// deterministic counts: sim_instructions, sim_l1_misses, sim_ll_misses, sim_cycles. 20 to 100 times
    /// slower than a run; needs valgrind (docs/ci.md, "Simulated counts").
    #[arg(long, help_heading = "Simulation")]
    pub simulate: bool,
    /// Target time for the automatic run count, seconds.
    #[arg(long, hide = true, default_value_t = 3.0)]
    pub min_benchmarking_time: f64,
    /// hyperfine's `--debug-mode`: run nothing; `sleep X` takes X seconds, a shell `sleep X` takes X to
    /// start, `exit N` exits N, anything else 1 ms (for tests of ordering and output).
    #[arg(long = "debug-mode", alias = "mock", hide = true)]
    pub mock: bool,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// A value parser that refuses a flag hyperfine 2.0 removed, with what to do instead.
fn removed(why: &'static str) -> impl Fn(&str) -> Result<String, String> + Clone + Send + Sync + 'static {
    move |_| Err(why.to_string())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Style {
    /// full on a terminal, basic otherwise.
    Auto,
    /// No colours, no progress bars.
    Basic,
    /// Colours and progress bars.
    Full,
    /// Progress bars without colours.
    Nocolor,
    /// Colours without progress bars.
    Color,
    /// Nothing but errors and warnings.
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InterleaveArg {
    RoundRobin,
    Random,
}

/// `denet compare BASELINE CURRENT`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The baseline results (denet or hyperfine 2.0 JSON), or a NAME in .denet/baselines/.
    #[arg(value_name = "BASELINE")]
    pub baseline: String,
    /// The current results (denet or hyperfine 2.0 JSON), or a NAME in .denet/baselines/.
    #[arg(value_name = "CURRENT")]
    pub current: String,
    /// Tolerated change per metric, relative (5%) or absolute with a unit (2MiB, 3ms) [default: time_wall_clock=5%,memory_peak_resident=10%]
    #[arg(long, value_name = "SPEC", help_heading = "Regression checks")]
    pub threshold: Option<String>,
    /// 1 − confidence level of the change's interval.
    #[arg(long, value_name = "ALPHA", default_value_t = 0.05, help_heading = "Regression checks")]
    pub alpha: f64,
    /// What makes the exit code 1.
    #[arg(long, value_enum, default_value_t = FailOn::Regression, help_heading = "Regression checks")]
    pub fail_on: FailOn,
    /// Write the comparison as a GitHub-flavoured Markdown table (`-` for stdout).
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub export_markdown: Option<String>,
    /// Write the comparison as JUnit XML (a test case per benchmark and metric).
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub export_junit: Option<String>,
    /// `none` prints nothing but errors; other values print the table.
    #[arg(long, value_enum, default_value_t = Style::Auto, help_heading = "Output")]
    pub style: Style,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Exit 1 when a metric regressed.
    Regression,
    /// Exit 1 when a metric regressed or a check was too noisy to decide.
    Inconclusive,
}

/// `denet report INPUT -o FILE.html`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Benchmark results (`denet bench --export-json`, or hyperfine 2.0's) or a recording (`denet run --out`).
    pub input: PathBuf,
    /// The HTML file to write (self-contained: charts, styles and data inline); `-` for stdout.
    #[arg(short = 'o', long, value_name = "FILE.html", required = true)]
    pub out: PathBuf,
    /// Also write each chart as an SVG file into DIR.
    #[arg(long, value_name = "DIR")]
    pub svg: Option<PathBuf>,
    /// The report's title.
    #[arg(long)]
    pub title: Option<String>,
}
