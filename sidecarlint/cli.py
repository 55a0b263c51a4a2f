"""The command line: options in, findings out, and an exit code that CI can trust.

Exit codes, as ruff and shellcheck use them: 0 when nothing is at or above `--fail-on`,
1 when something is, 2 for usage errors, paths that do not exist, and internal errors.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import json
import os
import stat
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from sidecarlint import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Something the user can fix on the command line; printed as one line, exit 2."""


@dataclass(frozen=True)
class OutputOptions:
    colour: bool
    fail_on: str = "warning"  # junit: findings at or above it fail their test case
    sarif_category: str | None = None
    show_suppressed: bool = False  # text: list suppressed findings too


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return value


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not argparse's usage block
        raise UsageError(f"{message} (see 'sidecarlint --help')")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="sidecarlint",
        description="Lint Kubernetes pod specs, knowing about sidecar containers.",
        epilog="Exit status: 0 clean, 1 findings at or above --fail-on, 2 usage or internal error.",
    )
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="files or directories to lint (directories: *.yaml and *.yml, recursively); "
        "'-' reads standard input; default: the current directory",
    )
    parser.add_argument(
        "--format",
        default="text",
        help="output format: text, json, sarif (GitHub code scanning), github (workflow annotations) "
        "or junit (default: text)",
    )
    parser.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        help="write the report to FILE instead of standard output; a regular file is replaced whole, "
        "never left half-written",
    )
    parser.add_argument(
        "--max-file-size",
        metavar="SIZE",
        help="do not read files larger than SIZE, in bytes or with a K, M or G suffix (KiB, MiB, GiB); "
        "each is reported instead (default: the configuration's max-file-size, else 10MiB)",
    )
    parser.add_argument(
        "--stdin-filename",
        metavar="PATH",
        help="the file that standard input ('-') stands for: reports name it, configuration globs match it, "
        "and Helm '# Source:' templates are looked for beside it; without PATHs, standard input is read",
    )
    parser.add_argument(
        "--helm-values",
        action="append",
        default=[],
        metavar="FILE",
        help="a values file for the Helm charts found in the paths (helm template --values FILE); repeatable",
    )
    parser.add_argument(
        "--sarif-category",
        metavar="NAME",
        help="with --format sarif: the category of this analysis (runs[0].automationDetails.id), "
        "to upload several SARIF files for one commit, as in a monorepo",
    )
    parser.add_argument(
        "--fail-on",
        choices=("error", "warning", "note"),
        default=None,
        help="lowest severity that makes the exit status 1 (default: warning, or the configuration's)",
    )
    parser.add_argument("--select", action="append", metavar="RULE,...", help="run only these rules")
    parser.add_argument("--ignore", action="append", metavar="RULE,...", help="do not run these rules")
    parser.add_argument(
        "--kubernetes-version",
        default=None,
        metavar="MAJOR.MINOR",
        help="the Kubernetes version the manifests target (default: 1.34, or the configuration's)",
    )
    parser.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the text output: auto (a terminal, unless NO_COLOR is set), always or never",
    )
    parser.add_argument("--config", metavar="FILE", help="read the configuration from FILE (default: "
                        ".sidecarlint.yaml, .sidecarlint.yml or pyproject.toml, searched upwards to the repository root)")
    parser.add_argument("--no-config", action="store_true", help="ignore every configuration file")
    parser.add_argument("--show-suppressed", action="store_true", help="list suppressed findings too (text output)")
    parser.add_argument(
        "--jobs", "-j", type=_positive, metavar="N",
        help="lint with N processes (default: every usable core; small runs use one)",
    )
    parser.add_argument("--no-plugins", action="store_true", help="load only the built-in checks, rules and formats")
    parser.add_argument("--list-plugins", action="store_true", help="list the plugins that are loaded, and exit")
    parser.add_argument(
        "--list-rules", action="store_true", help="list every rule (name, severity, summary) and exit; with --format json too"
    )
    parser.add_argument("--explain", metavar="RULE", help="explain a rule: why, fix, and examples, then exit")
    parser.add_argument("--version", action="version", version=f"sidecarlint {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return run(build_parser().parse_args(argv))
    except UsageError as error:
        print(f"sidecarlint: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def run(args: argparse.Namespace) -> int:
    # Imported here so that --help and --version stay instant.
    from sidecarlint.config import ConfigError
    from sidecarlint.discover import DEFAULT_MAX_FILE_SIZE, MissingPathError, discover, parse_size
    from sidecarlint.parallel import lint_in_parallel, relaxed_garbage_collection
    from sidecarlint.findings import Severity
    from sidecarlint.plugins import PluginError, default_registry
    from sidecarlint.results import Tally
    from sidecarlint.rules import RuleError, parse_version
    from sidecarlint.settings import Recipe, prepare

    try:
        version = parse_version(args.kubernetes_version) if args.kubernetes_version else None
    except ValueError as error:
        raise UsageError(f"--kubernetes-version: {error}") from None
    try:
        registry = default_registry(load_entry_points=not args.no_plugins)
        reporters = registry.reporters
        if args.list_plugins:
            return _list_plugins(registry)
        recipe = Recipe(
            load_entry_points=not args.no_plugins,
            config_path=_config_path(args),
            select=_names(args.select),
            ignore=_names(args.ignore),
            kubernetes_version=version,
            fail_on=Severity(args.fail_on) if args.fail_on else None,
        )
        prepared = prepare(recipe, registry)
    except (RuleError, PluginError, ConfigError) as error:
        raise UsageError(str(error)) from None
    settings = prepared.settings
    if args.list_rules or args.explain:
        return _describe_rules(registry, settings.rules, args)
    reporter = reporters.get(args.format)
    if reporter is None:
        raise UsageError(f"--format: unknown format {args.format!r}; choose from {', '.join(sorted(reporters))}")
    if args.sarif_category is not None and args.format != "sarif":
        raise UsageError("--sarif-category: only --format sarif has a category")
    try:
        max_file_size = parse_size(args.max_file_size) if args.max_file_size is not None else settings.config.max_file_size
    except ValueError as error:
        raise UsageError(f"--max-file-size: {error}") from None
    if args.output is not None:
        _check_output(args.output)
    try:
        sources = discover(
            _paths(args),
            max_file_size=max_file_size or DEFAULT_MAX_FILE_SIZE,
            stdin_filename=args.stdin_filename,
            helm_values=_helm_values(args),
        )
    except MissingPathError as error:
        raise UsageError(str(error)) from None
    sources = [source for source in sources if not _excluded(source, settings.config)]

    tally = Tally()
    results = tally.through(lint_in_parallel(prepared.linter, recipe, sources, args.jobs))
    with relaxed_garbage_collection():
        try:
            _write_report(reporter, results, tally, prepared.linter.rules, args, settings.fail_on)
        except BrokenPipeError:  # `sidecarlint . | head`: the reader left; the exit code still counts
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            for _ in results:  # lint the rest, for the exit code
                pass

    if tally.internal_error:
        return EXIT_USAGE
    return EXIT_FINDINGS if tally.reaches(settings.fail_on) else EXIT_OK


def _config_path(args) -> str | None:
    """The configuration named by --config, found from here upwards, or none with --no-config."""
    from pathlib import Path

    from sidecarlint.config import find_config

    if args.no_config:
        return None
    if args.config is not None:
        if not Path(args.config).is_file():
            raise UsageError(f"--config: {args.config}: no such file")
        return args.config
    found = find_config(Path.cwd())
    return str(found) if found is not None else None


def _paths(args) -> list[str]:
    """The paths to lint; with --stdin-filename and none given, standard input."""
    if args.stdin_filename is not None:
        if not args.paths:
            return ["-"]
        if "-" not in args.paths:
            raise UsageError("--stdin-filename names standard input: give '-' among the paths")
    return args.paths or ["."]


def _helm_values(args) -> list[str]:
    for file in args.helm_values:
        if not os.path.isfile(file):
            raise UsageError(f"--helm-values: {file}: no such file")
    return [os.path.abspath(file) for file in args.helm_values]


def _excluded(source, config) -> bool:
    """`exclude` globs apply to walked files, to files named on the command line and to
    standard input named by --stdin-filename alike."""
    if source.config_path is None or not config.exclude:
        return False
    relative = os.path.relpath(os.path.abspath(source.config_path), config.root)
    if source.render is not None:  # a rendered directory: `overlays/dev/**` excludes it too
        relative = os.path.join(relative, "")
    return config.is_excluded(relative)


def _list_plugins(registry) -> int:
    for name, plugin in sorted(registry.manager.list_name_plugin(), key=lambda pair: str(pair[0])):
        origin = getattr(plugin, "__name__", type(plugin).__name__)
        builtin = origin.startswith("sidecarlint.")
        sys.stdout.write(f"{name}  ({'built-in' if builtin else origin})\n")
    return EXIT_OK


def _describe_rules(registry, rules, args) -> int:
    from sidecarlint import ruledocs

    if args.format not in ("text", "json"):
        raise UsageError(f"--format: rules are described as text or json, not {args.format!r}")
    if args.list_rules:
        if args.format == "json":
            json.dump([ruledocs.rule_to_dict(rules[name]) for name in sorted(rules)], sys.stdout, indent=2)
            sys.stdout.write("\n")
        else:
            sys.stdout.write(ruledocs.list_rules_text(rules.values()))
        return EXIT_OK
    rule = rules.get(args.explain)
    if rule is None:
        raise UsageError(f"--explain: unknown rule {args.explain!r}{_did_you_mean(args.explain, rules)}")
    if args.format == "json":
        json.dump(ruledocs.rule_to_dict(rule), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(ruledocs.explain_text(rule, ruledocs.reported_on_failing_example(rule, registry)))
    return EXIT_OK


def _did_you_mean(name: str, choices) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _names(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def _check_output(path: str) -> None:
    """Usage errors that can be told before linting: no directory to write in, or a directory."""
    if os.path.isdir(path):
        raise UsageError(f"--output: {path} is a directory")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise UsageError(f"--output: the directory {directory} does not exist")


def _write_report(reporter, results, tally, rules, args, fail_on) -> None:
    """Write the report as results come (formats that can) or once all are in (the others)."""
    from sidecarlint.results import LintResult

    def write(stream, options) -> None:
        if reporter.streams:
            reporter.write_stream(results, tally, stream, options)
        else:
            reporter.write(LintResult.collect(results, rules), stream, options)

    if args.output is None:
        write(sys.stdout, _options(args, fail_on, colour=_use_colour(args.color, sys.stdout)))
        sys.stdout.flush()
        return
    _check_output(args.output)
    options = _options(args, fail_on, colour=args.color == "always")
    try:
        _write_output(args.output, lambda stream: write(stream, options))
    except OSError as error:  # no permission, a full disk, a read-only file system
        raise UsageError(f"--output: cannot write {args.output}: {error.strerror or error}") from None


def _write_output(path: str, write) -> None:
    """A regular file (or a new one) is written to a temporary file beside it and renamed into
    place, so an existing report is never left half-written; a link to one is followed, so the
    file it names is replaced and the link kept. /dev/stdout, /dev/null, a pipe: anything that
    is not a regular file is written to directly, never replaced."""
    target = os.path.realpath(path)
    if os.path.exists(target) and not os.path.isfile(target):
        with open(target, "w", encoding="utf-8") as stream:
            write(stream)
        return
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".sidecarlint-", suffix=".tmp")
    try:
        os.chmod(temporary, _mode_for(target))  # mkstemp's 0600 would hide the report from others
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            write(stream)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _mode_for(path: str) -> int:
    """The permissions of the report it replaces, or those a new file gets under the umask."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _options(args, fail_on, colour: bool) -> OutputOptions:
    return OutputOptions(
        colour=colour, fail_on=str(fail_on), sarif_category=args.sarif_category, show_suppressed=args.show_suppressed
    )


def _use_colour(choice: str, stream: TextIO) -> bool:
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    return hasattr(stream, "isatty") and stream.isatty()
