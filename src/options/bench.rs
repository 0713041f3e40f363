//! `denet bench` options, validated: expanded benchmarks, run bounds, shell, failures, stdio, metrics, exports.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use super::compare::{baseline_path, named_baseline, CheckOptions};
use super::params::{self, Parameter};
use super::shell_syntax;
use super::{parse_duration, Unit};
use crate::cli::{BenchArgs, FailOn, Style};
use crate::error::{BenchUsage, UserError};
use crate::metrics::{self, Selected};
use crate::monitor::Schedule;
use crate::vocab::{Destination, Format, IgnoreFailure, Input, Output};

/// How many runs each command gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunBounds {
    pub min: u64,
    pub max: Option<u64>,
}

/// One benchmark after parameter expansion.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchmarkSpec {
    /// The command line with parameters substituted (what the JSON calls `command`).
    pub command_line: String,
    /// A name other than the command line (hyperfine's JSON `name`): the user's `--command-name`,
    /// substituted, or else the `--env` assignments before the command line (`A=1 cmd`).
    pub custom_name: Option<String>,
    /// The display name: the custom name or the command line, plus parameters the command does not use.
    pub name: String,
    /// What is executed: split words, or the shell and `-c` and the command line.
    pub argv: Vec<String>,
    /// `argv[0]` looked up in `PATH` once, so that runs do not search it each time.
    pub program: Option<PathBuf>,
    pub parameters: Vec<(String, String)>,
    pub setup: Option<String>,
    pub prepare: Option<String>,
    pub conclude: Option<String>,
    pub cleanup: Option<String>,
    pub output: Output,
    pub env: Vec<(String, String)>,
}

/// The order of timing runs across commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interleave {
    RoundRobin,
    Random,
}

/// What the regression check compares the results with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Against {
    /// A results file (`--baseline`), read before the first run.
    Baseline(PathBuf),
    /// The first command (`--threshold` without `--baseline`).
    FirstCommand,
}

/// `--baseline`, `--threshold`, `--fail-on`, `--export-junit`.
#[derive(Debug, Clone)]
pub struct RegressionCheck {
    pub against: Against,
    pub check: CheckOptions,
}

/// How the terminal looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Look {
    pub colors: bool,
    pub progress: bool,
    /// Print the per-benchmark report at all (`--style none` prints nothing but errors and warnings).
    pub report: bool,
}

/// Everything `denet bench` needs, validated.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub benchmarks: Vec<BenchmarkSpec>,
    /// Each run in its own cgroup, and its limits.
    pub limits: super::limits::Limits,
    pub bounds: RunBounds,
    pub warmup: u64,
    /// The shell for hooks (and for commands when `shell_commands`).
    pub shell: Vec<String>,
    pub shell_commands: bool,
    pub ignore: IgnoreFailure,
    pub input: Input,
    pub metrics: Vec<Selected>,
    /// The metrics named in `--metrics` rather than brought in by a preset: a counter among them
    /// that this machine cannot count is an error; a preset's is left out.
    pub named_metrics: Vec<crate::metrics::Metric>,
    pub look: Look,
    pub exports: Vec<(Format, Destination)>,
    /// `--export-html FILE` and `--export-svg DIR`, written at the end.
    pub html: Option<PathBuf>,
    pub svg_dir: Option<PathBuf>,
    pub interleave: Option<(Interleave, u64)>,
    pub regression: Option<RegressionCheck>,
    /// `--save-baseline NAME`: the file to write.
    pub save_baseline: Option<PathBuf>,

    pub sampling: Option<Schedule>,
    pub alpha: f64,
    /// `--precision`: the relative half-width of the 95% interval to reach (a fraction).
    pub precision: Option<f64>,
    /// `--cpus`: the CPUs to pin to, each allowed to this process.
    pub cpus: Option<Vec<usize>>,
    pub min_time: f64,
    pub mock: bool,
    /// `--ebpf`: load the eBPF programs for every run.
    pub ebpf: bool,
    /// `--simulate`: one more run of each command under cachegrind.
    pub simulate: bool,
}

fn bad(flag: &'static str, value: impl Into<String>, why: impl Into<String>) -> UserError {
    UserError::InvalidValue { flag, value: value.into(), why: why.into() }
}

impl BenchOptions {
    pub fn from_args(a: &BenchArgs) -> Result<BenchOptions, UserError> {
        let shell = shell(a)?;
        let metrics = metrics::parse(&a.metrics, a.ebpf).map_err(|e| BenchUsage::Metrics(e.to_string()))?;
        let named_metrics = metrics::named(&a.metrics);
        let metrics = counters_with_shell(metrics, &named_metrics, shell.is_some())?;
        let benchmarks = expand(a, shell.as_deref())?;
        if benchmarks.is_empty() {
            return Err(bad("--parameter-list", "", "no benchmark to run: a parameter list is empty"));
        }
        // Only a user who chose no shell at all is protected: `-N` and `--shell=none` pass syntax literally.
        if a.shell.is_none() && !a.no_shell && !a.default_shell && !a.mock {
            benchmarks.iter().try_for_each(|b| refuse_shell_syntax(&b.command_line))?;
        }
        let save_as = a.save_baseline.as_deref().map(save_baseline).transpose()?;
        refuse_collisions(a, save_as.as_deref())?;
        let opts = BenchOptions {
            limits: super::limits::Limits::from_args(&a.limits)?,
            bounds: bounds(a)?,
            warmup: a.warmup,
            shell_commands: shell.is_some(),
            shell: shell.unwrap_or_else(|| vec!["sh".to_string()]),
            ignore: ignore_failure(a.ignore_failure.as_deref())?,
            input: input(a.input.as_deref())?,
            metrics,
            named_metrics,
            look: look(a.style, a.show_output || a.output.iter().any(|o| o == "inherit")),
            exports: exports(a)?,
            html: a
                .export_html
                .as_deref()
                .map(|p| check_writable("--export-html", Path::new(p)).map(|_| PathBuf::from(p)))
                .transpose()?,
            svg_dir: a.export_svg.as_deref().map(|d| writable_dir("--export-svg", Path::new(d))).transpose()?,
            interleave: a.interleave.map(|i| {
                let mode = match i {
                    crate::cli::InterleaveArg::RoundRobin => Interleave::RoundRobin,
                    crate::cli::InterleaveArg::Random => Interleave::Random,
                };
                (mode, a.seed.unwrap_or_else(rand::random))
            }),
            regression: regression(a, benchmarks.len())?,
            save_baseline: save_as,
            sampling: sampling(&a.sample_interval)?,
            alpha: alpha(a.alpha)?,
            precision: a.precision.as_deref().map(precision).transpose()?,
            cpus: a.cpus.as_deref().map(cpus).transpose()?,
            min_time: a.min_benchmarking_time,
            mock: a.mock,
            ebpf: a.ebpf,
            simulate: a.simulate,
            benchmarks,
        };
        Ok(opts)
    }
}

use super::alpha;

/// With a shell, hyperfine refuses the counters named in `--metrics` and leaves out a preset's:
/// the counts would include the shell's start-up, which cannot be subtracted as a time can.
fn counters_with_shell(
    metrics: Vec<Selected>,
    named: &[metrics::Metric],
    shell: bool,
) -> Result<Vec<Selected>, UserError> {
    if !shell {
        return Ok(metrics);
    }
    if let Some(m) = named.iter().find(|m| m.counter().is_some()) {
        return Err(BenchUsage::CounterWithShell(m.name()).into());
    }
    Ok(metrics.into_iter().filter(|s| s.metric.counter().is_none()).collect())
}

/// The regression check, validated before the first run: a long benchmark must not end in a usage error.
fn regression(a: &BenchArgs, benchmarks: usize) -> Result<Option<RegressionCheck>, UserError> {
    if a.baseline.is_none() && a.threshold.is_none() {
        if let Some(j) = &a.export_junit {
            return Err(bad("--export-junit", j.as_str(), "there is nothing to check: add --baseline or --threshold"));
        }
        return Ok(None);
    }
    let check = CheckOptions::new(
        a.threshold.as_deref(),
        a.alpha,
        a.fail_on == FailOn::Inconclusive,
        None,
        a.export_junit.as_deref(),
    )?;
    if let Some(t) = check.thresholds.iter().find(|t| t.metric.known().is_none()) {
        return Err(bad(
            "--threshold",
            t.metric.name(),
            "denet bench does not measure this metric; see docs/metrics.md",
        ));
    }
    let against = match &a.baseline {
        Some(b) => Against::Baseline(baseline_path(b)),
        None if benchmarks < 2 => {
            return Err(bad(
                "--threshold",
                a.threshold.clone().unwrap_or_default(),
                "with one command there is nothing to check against: add a second command, or --baseline",
            ))
        }
        None => Against::FirstCommand,
    };
    Ok(Some(RegressionCheck { against, check }))
}

fn save_baseline(name: &str) -> Result<PathBuf, UserError> {
    let path = named_baseline(name)?;
    writable_dir("--save-baseline", path.parent().unwrap_or(Path::new(".")))?;
    check_writable("--save-baseline", &path)?;
    Ok(path)
}

/// `--precision 1%` (or `1`): a fraction above 0 and below 100%.
fn precision(v: &str) -> Result<f64, UserError> {
    let pct: f64 =
        v.trim().trim_end_matches('%').parse().map_err(|_| bad("--precision", v, "not a percentage, e.g. 1%"))?;
    if pct > 0.0 && pct < 100.0 {
        Ok(pct / 100.0)
    } else {
        Err(bad("--precision", v, "must be above 0% and below 100%, e.g. 1%"))
    }
}

/// `--cpus LIST`: every CPU must be one this process may use, else the allowed list is the fix.
fn cpus(v: &str) -> Result<Vec<usize>, UserError> {
    use crate::monitor::affinity;
    let wanted = affinity::parse_list(v).map_err(|why| bad("--cpus", v, why))?;
    let allowed = affinity::allowed().map_err(|e| bad("--cpus", v, e.to_string()))?;
    let outside: Vec<usize> = wanted.iter().copied().filter(|c| !allowed.contains(c)).collect();
    if !outside.is_empty() {
        let why = format!(
            "CPU {} not allowed here; the allowed CPUs are {}",
            affinity::format_list(&outside),
            affinity::format_list(&allowed)
        );
        return Err(bad("--cpus", v, why));
    }
    Ok(wanted)
}

fn bounds(a: &BenchArgs) -> Result<RunBounds, UserError> {
    if let Some(r) = a.runs {
        return Ok(RunBounds { min: r, max: Some(r) });
    }
    if a.precision.is_some() && a.max_runs.is_none() {
        // Noise that never settles must still end.
        let min = a.min_runs.unwrap_or(10);
        return Ok(RunBounds { min, max: Some(min.max(1000)) });
    }
    let min = a.min_runs.unwrap_or_else(|| a.max_runs.map_or(10, |m| m.min(10)));
    if a.max_runs.is_some_and(|max| max < min) {
        return Err(BenchUsage::EmptyRunsRange.into());
    }
    Ok(RunBounds { min, max: a.max_runs })
}

/// The shell command line, or None to run commands directly.
fn shell(a: &BenchArgs) -> Result<Option<Vec<String>>, UserError> {
    let given = if a.default_shell { Some("default") } else { a.shell.as_deref() };
    match given {
        None | Some("none") => Ok(None),
        Some("default") => Ok(Some(vec!["sh".to_string()])),
        Some(s) => {
            let words = shell_words::split(s).map_err(|e| BenchUsage::ShellParse(e.to_string()))?;
            if words.first().is_none_or(|w| w.is_empty()) {
                return Err(BenchUsage::EmptyShell.into());
            }
            Ok(Some(words))
        }
    }
}

fn ignore_failure(mode: Option<&str>) -> Result<IgnoreFailure, UserError> {
    match mode {
        None => Ok(IgnoreFailure::Never),
        Some("all-non-zero" | "") => Ok(IgnoreFailure::AllNonZero),
        Some(list) => list
            .split(',')
            .map(|c| c.trim().parse::<i32>())
            .collect::<Result<Vec<_>, _>>()
            .map(IgnoreFailure::Codes)
            .map_err(|e| BenchUsage::NotAnInteger { flag: "ignore-failure", why: e.to_string() }.into()),
    }
}

fn input(v: Option<&str>) -> Result<Input, UserError> {
    match v {
        None | Some("null") => Ok(Input::Null),
        Some(f) if Path::new(f).is_file() => Ok(Input::File(f.into())),
        Some(f) if Path::new(f).exists() => Err(bad("--input", f, "not a file")),
        Some(f) => Err(BenchUsage::MissingInput(f.to_string()).into()),
    }
}

fn output(v: &str) -> Result<Output, UserError> {
    match v {
        "null" => Ok(Output::Null),
        "pipe" => Ok(Output::Pipe),
        "inherit" => Ok(Output::Inherit),
        // A bare word is more likely a typo than a file name (hyperfine's rule).
        f if Path::new(f).components().count() > 1 => Ok(Output::File(f.into())),
        f => Err(BenchUsage::OutputPolicy(f.to_string()).into()),
    }
}

fn look(style: Style, inherits_output: bool) -> Look {
    let tty = std::io::stdout().is_terminal() && std::io::stderr().is_terminal();
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
        || matches!(std::env::var("TERM").as_deref(), Ok("dumb") | Ok("unknown"));
    let style = match style {
        Style::Auto if inherits_output || !tty => Style::Basic,
        Style::Auto if no_color => Style::Nocolor,
        Style::Auto => Style::Full,
        s => s,
    };
    match style {
        Style::Basic => Look { colors: false, progress: false, report: true },
        Style::Nocolor => Look { colors: false, progress: true, report: true },
        Style::Color => Look { colors: true, progress: false, report: true },
        Style::None => Look { colors: false, progress: false, report: false },
        Style::Full | Style::Auto => Look { colors: true, progress: true, report: true },
    }
}

fn sampling(v: &str) -> Result<Option<Schedule>, UserError> {
    if v.trim() == "0" {
        return Ok(None);
    }
    let base = parse_duration("--sample-interval", v, Unit::Millis)?;
    Ok(Some(Schedule { base, max: base.saturating_mul(10) }))
}

fn exports(a: &BenchArgs) -> Result<Vec<(Format, Destination)>, UserError> {
    let all = [
        (Format::Json, "--export-json", &a.export_json),
        (Format::Csv, "--export-csv", &a.export_csv),
        (Format::CsvRuns, "--export-csv-runs", &a.export_csv_runs),
        (Format::Markdown, "--export-markdown", &a.export_markdown),
        (Format::Asciidoc, "--export-asciidoc", &a.export_asciidoc),
        (Format::Orgmode, "--export-orgmode", &a.export_orgmode),
        (Format::Json, "--export-junit", &a.export_junit),
    ];
    let mut out = Vec::new();
    for (format, flag, path) in all {
        let Some(path) = path else { continue };
        let target = if path == "-" { Destination::Stdout } else { Destination::File(path.into()) };
        if let Destination::File(p) = &target {
            check_writable(flag, p)?;
        }
        if flag == "--export-junit" {
            // Checked here; written by the regression check, not as a results export.
            continue;
        }
        out.push((format, target));
    }
    Ok(out)
}

/// Two outputs to one place would lose one (the last rename wins) or mix both (on stdout): refused
/// before the first run, naming both flags.
fn refuse_collisions(a: &BenchArgs, save_as: Option<&Path>) -> Result<(), UserError> {
    let named = [
        ("--export-asciidoc", &a.export_asciidoc),
        ("--export-json", &a.export_json),
        ("--export-csv", &a.export_csv),
        ("--export-csv-runs", &a.export_csv_runs),
        ("--export-markdown", &a.export_markdown),
        ("--export-orgmode", &a.export_orgmode),
        ("--export-junit", &a.export_junit),
        ("--export-html", &a.export_html),
    ];
    let mut seen: Vec<(&'static str, String, PathBuf)> = Vec::new();
    let given = named.into_iter().filter_map(|(flag, p)| p.as_deref().map(|p| (flag, p.to_string())));
    let baseline = save_as.map(|p| ("--save-baseline", p.display().to_string()));
    for (flag, value) in given.chain(baseline) {
        let place = crate::files::identity(&value);
        if let Some((other, _, _)) = seen.iter().find(|(_, _, p)| *p == place) {
            let why = match place.to_str() {
                Some("-") => format!("{other} writes to stdout too: give one of them a file"),
                _ => format!("{other} writes to the same file: give each export its own file"),
            };
            return Err(bad(flag, value, why));
        }
        seen.push((flag, value, place));
    }
    Ok(())
}

/// Create a folder for exports now, and check that files can be written in it.
pub fn writable_dir(flag: &'static str, dir: &Path) -> Result<PathBuf, UserError> {
    let refuse = |why: String| bad(flag, dir.display().to_string(), why);
    std::fs::create_dir_all(dir).map_err(|e| refuse(format!("cannot create it: {e}")))?;
    tempfile::NamedTempFile::new_in(dir).map_err(|e| refuse(format!("cannot write in it: {e}")))?;
    Ok(dir.to_path_buf())
}

/// Fail before the first run, not after a long benchmark, when an export file cannot be written.
fn check_writable(flag: &'static str, path: &Path) -> Result<(), UserError> {
    let refuse = |why: String| bad(flag, path.display().to_string(), why);
    if path.is_dir() {
        return Err(refuse("is a directory".into()));
    }
    crate::files::check_writable(path).map_err(refuse)
}

/// Expand commands and parameters into benchmarks, and pair each with its name, hooks and output.
fn expand(a: &BenchArgs, shell: Option<&[String]>) -> Result<Vec<BenchmarkSpec>, UserError> {
    let parameters = parameters(a)?;
    let templates = &a.commands;
    let combos = params::product(&parameters);
    // hyperfine's order: the command varies fastest, then the first parameter, ...
    let slots: Vec<(usize, &Vec<(String, String)>)> =
        combos.iter().flat_map(|c| (0..templates.len()).map(move |i| (i, c))).collect();
    let n = slots.len();
    check_names(&a.command_name, templates.len(), n, !parameters.is_empty())?;
    let envs = a.env.iter().map(|e| environment(e)).collect::<Result<Vec<_>, _>>()?;
    once_or_per_benchmark("--env", envs.len(), n)?;
    once_or_per_benchmark("--prepare", a.prepare.len(), n)?;
    once_or_per_benchmark("--conclude", a.conclude.len(), n)?;
    once_or_per_benchmark("--output", a.output.len(), n)?;
    let outputs = a.output.iter().map(|o| output(o)).collect::<Result<Vec<_>, _>>()?;
    let shared = Expansion { a, shell, scanned: !parameters.is_empty(), envs, outputs };
    slots.iter().enumerate().map(|(k, (i, combo))| shared.spec(k, *i, &templates[*i], combo)).collect()
}

/// hyperfine's rule for per-command options: absent, given once for all, or once per benchmark.
fn once_or_per_benchmark(flag: &'static str, given: usize, benchmarks: usize) -> Result<(), UserError> {
    match given {
        0 | 1 => Ok(()),
        k if k == benchmarks => Ok(()),
        _ => Err(BenchUsage::OncePerCommand { flag, benchmarks }.into()),
    }
}

/// What every benchmark of an expansion draws from.
struct Expansion<'a> {
    a: &'a BenchArgs,
    shell: Option<&'a [String]>,
    /// Whether parameters multiply the commands (names and hooks are then given per benchmark).
    scanned: bool,
    /// Each `--env`, parsed, before parameter substitution.
    envs: Vec<Vec<(String, String)>>,
    outputs: Vec<Output>,
}

/// The item for benchmark `k` of an option given once for all or once per benchmark.
fn nth<T>(given: &[T], k: usize) -> Option<&T> {
    given.get(if given.len() == 1 { 0 } else { k })
}

impl Expansion<'_> {
    /// Benchmark `k`: command `i`'s `template` with the parameter values `combo`.
    fn spec(&self, k: usize, i: usize, template: &str, combo: &[(String, String)]) -> Result<BenchmarkSpec, UserError> {
        let a = self.a;
        let sub = |t: &str| params::substitute(t, combo);
        let command_line = sub(template);
        let argv = argv(self.shell, &command_line)?;
        let name_template = match (self.scanned, a.command_name.len()) {
            (false, _) => a.command_name.get(i),
            (true, 1) => a.command_name.first(),
            (true, _) => a.command_name.get(k),
        };
        let env_template = nth(&self.envs, k).map_or(&[][..], Vec::as_slice);
        let env: Vec<(String, String)> = env_template.iter().map(|(key, v)| (key.clone(), sub(v))).collect();
        let custom_name = match name_template {
            Some(t) => Some(sub(t)),
            None if env.is_empty() => None,
            None => Some(with_assignments(&env, &command_line)),
        };
        let uses = |p: &str| {
            params::uses(template, p)
                || env_template.iter().any(|(_, v)| params::uses(v, p))
                || name_template.is_some_and(|t| params::uses(t, p))
        };
        let output = match nth(&self.outputs, k) {
            _ if a.show_output => Output::Inherit,
            o => o.cloned().unwrap_or(Output::Null),
        };
        // With its own PATH the command must be looked up by the exec, not by us.
        let program = if env.iter().any(|(k, _)| k == "PATH") { None } else { find_in_path(&argv[0]) };
        Ok(BenchmarkSpec {
            name: display_name(custom_name.as_deref().unwrap_or(&command_line), combo, uses),
            command_line,
            custom_name,
            program,
            argv,
            parameters: combo.to_vec(),
            setup: a.setup.as_deref().map(sub),
            prepare: nth(&a.prepare, k).map(|t| sub(t)),
            conclude: nth(&a.conclude, k).map(|t| sub(t)),
            cleanup: a.cleanup.as_deref().map(sub),
            output,
            env,
        })
    }
}

/// A command line as hyperfine shows it with `--env`: `A=1 B='x y' cmd`.
fn with_assignments(env: &[(String, String)], command_line: &str) -> String {
    let assignments: Vec<String> = env.iter().map(|(k, v)| format!("{k}={}", shell_words::quote(v))).collect();
    match assignments.is_empty() {
        true => command_line.to_string(),
        false => format!("{} {command_line}", assignments.join(" ")),
    }
}

/// The name shown: `base`, plus the parameters that neither the command, its environment nor its
/// custom name uses.
fn display_name(base: &str, combo: &[(String, String)], uses: impl Fn(&str) -> bool) -> String {
    let unused: Vec<String> = combo.iter().filter(|(p, _)| !uses(p)).map(|(p, v)| format!("{p} = {v}")).collect();
    if unused.is_empty() {
        base.to_string()
    } else {
        format!("{base} ({})", unused.join(", "))
    }
}

fn parameters(a: &BenchArgs) -> Result<Vec<Parameter>, UserError> {
    let mut out = Vec::new();
    if let [name, min, max] = a.parameter_scan.as_slice() {
        out.push(params::scan(name, min, max, a.parameter_step_size.as_deref())?);
    }
    for pair in a.parameter_list.chunks(2) {
        if let [name, values] = pair {
            out.push(params::list(name, values));
        }
    }
    params::check_unique(&out)?;
    Ok(out)
}

fn check_names(names: &[String], commands: usize, benchmarks: usize, with_params: bool) -> Result<(), UserError> {
    let given = names.len();
    if with_params && given > 1 && given != benchmarks {
        return Err(BenchUsage::CommandNameCount { given, benchmarks }.into());
    }
    if !with_params && given > commands {
        return Err(BenchUsage::TooManyCommandNames(commands).into());
    }
    Ok(())
}

/// One `--env` value: space-separated `NAME=VALUE` assignments with shell quoting; a later
/// assignment to the same name replaces an earlier one.
pub(crate) fn environment(value: &str) -> Result<Vec<(String, String)>, UserError> {
    let mut env: Vec<(String, String)> = Vec::new();
    for assignment in shell_words::split(value).map_err(|e| BenchUsage::EnvSyntax(e.to_string()))? {
        let (name, v) = assignment.split_once('=').ok_or_else(|| BenchUsage::EnvNotAssignment(assignment.clone()))?;
        if !shell_syntax::is_variable_name(name) {
            return Err(BenchUsage::EnvName(name.to_string()).into());
        }
        env.retain(|(k, _)| k != name);
        env.push((name.to_string(), v.to_string()));
    }
    Ok(env)
}

/// Refuse what only a shell understands in a command that would run without one (hyperfine 2.0:
/// `rm -rf cache/ && ./my_command` must not run `rm` with `&&` as an argument).
fn refuse_shell_syntax(line: &str) -> Result<(), UserError> {
    if shell_syntax::starts_with_assignment(line) {
        return Err(BenchUsage::LeadingAssignment(line.to_string()).into());
    }
    match shell_syntax::first_operator(line) {
        Some(operator) => Err(BenchUsage::ShellSyntax { command: line.to_string(), operator }.into()),
        None => Ok(()),
    }
}

/// The executable `name` resolves to in `PATH`, as exec would find it; `None` for a path or when absent
/// (then the exec itself reports the error).
fn find_in_path(name: &str) -> Option<PathBuf> {
    if name.contains('/') || name.is_empty() {
        return None;
    }
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join(name)).find(|p| is_executable(p))
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(p: &Path) -> bool {
    p.is_file()
}

/// What to execute for a command line.
fn argv(shell: Option<&[String]>, line: &str) -> Result<Vec<String>, UserError> {
    if let Some(sh) = shell {
        return Ok(sh.iter().cloned().chain(["-c".to_string(), line.to_string()]).collect());
    }
    let words = shell_words::split(line)
        .map_err(|e| BenchUsage::CommandSyntax { line: line.to_string(), why: e.to_string() })?;
    if words.is_empty() {
        return Err(BenchUsage::EmptyCommand.into());
    }
    Ok(words)
}

#[cfg(test)]
mod ignore_tests {
    use super::IgnoreFailure;

    #[test]
    fn exits_are_accepted_as_hyperfine_does() {
        let killed = None;
        let never = IgnoreFailure::Never;
        assert!(never.accepts(Some(0)) && !never.accepts(Some(1)) && !never.accepts(killed));
        let all = IgnoreFailure::AllNonZero;
        assert!(all.accepts(Some(3)) && all.accepts(killed));
        let some = IgnoreFailure::Codes(vec![2]);
        assert!(some.accepts(Some(2)) && some.accepts(Some(0)) && !some.accepts(Some(3)) && !some.accepts(killed));
    }
}
