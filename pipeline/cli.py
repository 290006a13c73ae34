"""The ``plancov`` command line: parses options, calls one library function, maps errors to exit codes.

Exit codes: 0 ok; 1 error; 2 usage; 3 coverage below --fail-under.
Data goes to stdout, logs and progress to stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys

from . import __version__
from .batch.workers import DEFAULT_MAX_MEMORY_MB, DEFAULT_RECYCLE_EVERY, DEFAULT_TIMEOUT
from .errors import PlancovError

log = logging.getLogger("pipeline")

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_FAIL_UNDER = 0, 1, 2, 3


def _dump(obj) -> None:
    json.dump(obj, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def cmd_plan(args) -> int:
    from .jsonio import plan_to_dict
    from .plan import load_plan

    plan = load_plan(args.file, task_section=args.task_section)
    if args.json:
        _dump(plan_to_dict(plan))
        return EXIT_OK
    out = sys.stdout
    out.write(f"{plan.title}\n")
    out.write(f"task section {plan.task_section or '(top level)'}: {len(plan.areas)} areas, "
              f"{len(plan.requirements)} requirements\n")
    for s in plan.sections:
        mark = "*" if s.id == plan.task_section else " "
        out.write(f"{mark} {s.id:<6} {s.title}\n")
        if s.id == plan.task_section or not plan.task_section:
            continue
        for c in s.children:
            out.write(f"  {c.id:<8} {c.title}\n")
    out.write("\nrequirement catalog:\n")
    for a in plan.areas:
        out.write(f"  {a.id:<8} {a.title}\n")
        for r in a.requirements:
            if r.id != a.id:
                out.write(f"    {r.id:<8} {r.title}\n")
    return EXIT_OK


def cmd_ingest(args) -> int:
    from .jsonio import document_to_dict
    from .readers import read

    doc = read(args.file)
    if args.json:
        _dump(document_to_dict(doc))
        return EXIT_OK
    out = sys.stdout
    enc = f", {doc.encoding}" if doc.encoding else ""
    pages = f", {doc.pages} pages" if doc.pages else ""
    out.write(f"{doc.path}: {doc.format}{enc}{pages}, {len(doc.paragraphs)} paragraphs\n")
    for w in doc.warnings:
        log.warning("%s: %s", doc.path, w)
    for p in doc.paragraphs:
        loc = f"p{p.page}" if p.page else (f"l{p.line}" if p.line else "")
        hints = []
        if p.style:
            hints.append(p.style)
        if p.bold:
            hints.append("bold")
        if p.in_table:
            hints.append("table")
        if p.list_level is not None:
            hints.append(f"list{p.list_level}")
        h = f" [{', '.join(hints)}]" if hints else ""
        out.write(f"{p.index:>4} {loc:>5}{h} {p.text}\n")
    return EXIT_OK


def cmd_corpus_check(args) -> int:
    from .corpus import CORPUS_DIR, SEED_PLAN, check_corpus
    from .plan import load_plan

    plan = load_plan(args.plan or SEED_PLAN)
    result = check_corpus(plan, args.root or CORPUS_DIR)
    st = result.stats
    out = sys.stdout
    if args.json:
        _dump({"ok": result.ok, "problems": result.problems, "stats": st})
        return EXIT_OK if result.ok else EXIT_ERROR
    out.write(f"documents {st['documents']}, paragraphs {st['paragraphs']}, characters {st['characters']:,}\n")
    out.write("kinds: " + ", ".join(f"{k} {v}" for k, v in st["kinds"].items()) + "\n")
    out.write("levels: " + ", ".join(f"{k} {v}" for k, v in st["levels"].items()) + "\n")
    out.write("splits: " + ", ".join(f"{k} {v}" for k, v in st["splits"].items()) + "\n")
    out.write(f"agencies ({len(st['agencies'])}): " + ", ".join(f"{k} {v}" for k, v in st["agencies"].items()) + "\n")
    out.write("test-only agencies: " + ", ".join(st["test_agencies"]) + "\n")
    out.write("evidence paragraphs per requirement (train/dev/test):\n")
    for rid, c in st["evidence_per_requirement"].items():
        out.write(f"  {rid:<8} {c.get('train', 0):>4} {c.get('dev', 0):>4} {c.get('test', 0):>4}\n")
    for p in result.problems:
        log.error("%s", p)
    out.write("corpus check: " + ("ok" if result.ok else f"{len(result.problems)} problems") + "\n")
    return EXIT_OK if result.ok else EXIT_ERROR


def cmd_classify(args) -> int:
    from .classifiers import load_classifier
    from .corpus import SEED_PLAN
    from .plan import load_plan
    from .readers import read

    plan = load_plan(args.plan or SEED_PLAN)
    try:
        clf = load_classifier(plan, args.models, backend=args.backend)
    except ValueError as e:
        print(f"plancov: {e}", file=sys.stderr)
        return 2
    doc = read(args.file)
    pred = clf.classify(doc)
    if args.json:
        from .jsonio import prediction_to_dict

        _dump(prediction_to_dict(pred))
        return EXIT_OK
    out = sys.stdout
    out.write(f"{doc.path}: {len(doc.paragraphs)} paragraphs, model {pred.model}\n")
    for p, pp in zip(doc.paragraphs, pred.paragraphs):
        text = p.text if len(p.text) <= 60 else p.text[:58] + "……"
        out.write(f"{p.index:>4} {pp.kind:<11} {pp.kind_score:.2f}  {text}\n")
        for rs in pp.requirements:
            th = pred.thresholds.get(rs.id)
            mark = "*" if th and rs.score >= th.high else ("~" if th and rs.score >= th.low else " ")
            out.write(f"{'':>17}{mark} {rs.id:<7} {rs.score:.2f}  {' '.join(rs.terms)}\n")
    return EXIT_OK


def cmd_train(args) -> int:
    from .classifiers.train import train_models
    from .corpus import CORPUS_DIR
    from .classifiers import MODELS_DIR

    meta = train_models(args.corpus or CORPUS_DIR, args.out or MODELS_DIR)
    sys.stdout.write(f"trained; default {meta['default']} (dev micro-F1 "
                     + ", ".join(f"{k} {v:.3f}" for k, v in meta["dev_micro_f1"].items()) + ")\n")
    sys.stdout.write(f"models written to {args.out or MODELS_DIR}\n")
    return EXIT_OK


def cmd_eval(args) -> int:
    from .classifiers import MODELS_DIR
    from .classifiers.evaluate import format_report
    from .classifiers.train import evaluate_models
    from .corpus import CORPUS_DIR

    report = evaluate_models(args.models or MODELS_DIR, args.corpus or CORPUS_DIR, args.split, args.cv)
    if args.json:
        _dump(report)
    else:
        sys.stdout.write(format_report(report))
    return EXIT_OK


def _percent(value: str) -> float:
    try:
        pct = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 100; got {value!r}") from None
    if not 0 <= pct <= 100:
        raise argparse.ArgumentTypeError(f"must be from 0 to 100; got {value}")
    return pct


def cmd_report(args) -> int:
    from pathlib import Path

    from .reporters import FORMATS, render_terminal, write_reports
    from .reporters.json_report import FILE_NAME, load_coverage_json

    source = Path(args.coverage_json)
    result = load_coverage_json(source)
    out = Path(args.out) if args.out else source.resolve().parent
    # Re-rendering in place must not rewrite the very file it reads.
    same = (out.resolve() / FILE_NAME) == source.resolve()
    formats = tuple(f for f in FORMATS if not (same and f == "json"))
    paths = write_reports(result, out, lang=args.lang, formats=formats)
    log.info("wrote %d files to %s", len(paths), out)
    sys.stdout.write(render_terminal(result, lang=args.lang, skip_covered=args.skip_covered))
    shown = float(result.totals.display_percent())
    if args.fail_under is not None and shown < args.fail_under:
        sys.stderr.write(f"plancov: coverage {result.totals.display_percent()}% is below --fail-under {args.fail_under:g}\n")
        return EXIT_FAIL_UNDER
    return EXIT_OK


class _ProgressBar:
    """Files done/total, rate and ETA on stderr: redrawn in place on a terminal, one line per
    tenth of the batch elsewhere (a log that cron mails)."""

    WIDTH = 24

    def __init__(self, stream) -> None:
        self.stream = stream
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.last = 0.0
        self.drawn = False
        self.next_tenth = 1

    def update(self, p) -> None:
        import time

        final = p.done >= p.total
        if self.tty:
            now = time.monotonic()
            if not final and now - self.last < 0.1:
                return
            self.last = now
            self.stream.write("\r" + self._line(p) + "\x1b[K" + ("\n" if final else ""))
            self.drawn = not final
        else:
            tenth = 10 * p.done // max(p.total, 1)
            if tenth < self.next_tenth and not final:
                return
            self.next_tenth = tenth + 1
            self.stream.write(self._line(p) + "\n")
        self.stream.flush()

    def _line(self, p) -> str:
        frac = p.done / p.total if p.total else 1.0
        filled = int(frac * self.WIDTH)
        parts = [f"plancov: [{'#' * filled}{'-' * (self.WIDTH - filled)}] {p.done}/{p.total} files"]
        if p.processed and p.work_seconds > 0:
            rate = p.processed / p.work_seconds
            parts.append(f"{rate:.1f} files/s")
            if p.done < p.total:
                eta = int((p.total - p.done) / rate)
                parts.append(f"ETA {eta // 60}:{eta % 60:02d}")
        if p.cached:
            parts.append(f"{p.cached} cached")
        if p.errors:
            parts.append(f"{p.errors} errors")
        return "  ".join(parts)

    def clear(self) -> None:
        """Wipe the bar so that a log line can take its place (it is redrawn on the next file)."""
        if self.tty and self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.drawn = False


class _ClearBar(logging.Filter):
    def __init__(self, bar: _ProgressBar) -> None:
        super().__init__()
        self.bar = bar

    def filter(self, record: logging.LogRecord) -> bool:
        self.bar.clear()
        return True


#: The log file ``plancov run`` keeps in its output folder.
LOG_FILE = "plancov.log"


def _thresholds(value: str):
    from .types import Thresholds

    try:
        low, high = (float(x) for x in value.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LOW,HIGH such as 0.3,0.6; got {value!r}") from None
    if not 0 <= low <= high <= 1:
        raise argparse.ArgumentTypeError(f"need 0 <= LOW <= HIGH <= 1; got {value!r}")
    return Thresholds(low=low, high=high)


def cmd_run(args) -> int:
    from pathlib import Path

    from .reporters import render_terminal
    from .runner import run

    if args.scheduler and args.executor != "dask":
        sys.stderr.write("plancov: error: --scheduler needs --executor dask\n")
        return EXIT_USAGE
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        file_handler = logging.FileHandler(out / LOG_FILE, encoding="utf-8")
    except OSError as e:
        sys.stderr.write(f"plancov: error: Cannot write into the report folder {args.out!r}: {e.strerror or e}\n")
        return EXIT_ERROR
    root = logging.getLogger()
    for h in root.handlers:  # handler levels, so that the file below may log more than stderr shows
        if h.level == logging.NOTSET:
            h.setLevel(root.level)
    file_handler.setLevel(logging.DEBUG if args.verbose else logging.INFO)
    file_handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"))
    pkg = logging.getLogger("pipeline")
    old_level = pkg.level
    pkg.setLevel(min(root.level, logging.INFO))
    pkg.addHandler(file_handler)
    bar = None if args.quiet else _ProgressBar(sys.stderr)
    clear = _ClearBar(bar) if bar else None
    if clear:
        for h in root.handlers:
            h.addFilter(clear)
    try:
        log.info("plancov %s: run %s", __version__, " ".join(args.inputs) or "(bundled samples)")
        outcome = run(args.inputs or None, args.plan, out_dir=args.out, models=args.models, lang=args.lang,
                      progress=bar.update if bar else None, jobs=args.jobs, timeout=args.timeout,
                      max_memory=args.max_memory, recycle_every=args.recycle_every, cache=not args.no_cache,
                      executor=args.executor, scheduler=args.scheduler, thresholds=args.thresholds)
        st = outcome.stats
        log.info("%d files: %d processed, %d from the run store, %d errors; %.1f s", st.files, st.processed,
                 st.cached, st.errors, st.seconds)
        result = outcome.result
        sys.stdout.write(render_terminal(result, lang=args.lang, skip_covered=args.skip_covered))
        if outcome.written:
            log.info("reports in %s (open %s)", args.out, os.path.join(args.out, "index.html"))
        if args.fail_under is not None and result.percent_covered < args.fail_under:
            log.error("coverage %.1f%% is below --fail-under %.1f%%", result.percent_covered, args.fail_under)
            return EXIT_FAIL_UNDER
        if outcome.errors:
            log.error("%d of %d files failed; see the error rows of the report and %s", outcome.errors, st.files,
                      os.path.join(args.out, LOG_FILE))
            return EXIT_ERROR
        return EXIT_OK
    finally:
        if clear:
            for h in root.handlers:
                h.removeFilter(clear)
        pkg.removeHandler(file_handler)
        pkg.setLevel(old_level)
        file_handler.close()


def _positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1; got {value!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1; got {n}")
    return n


def _seconds(value: str) -> float:
    try:
        s = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds; got {value!r}") from None
    if not s > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0; got {value}")
    return s


def _megabytes(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number of MB (0 for no cap); got {value!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be 0 (no cap) or more; got {n}")
    return n


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="plancov",
        description="Check year-end work summaries against an implementation plan's requirements.",
    )
    parser.add_argument("--version", action="version", version=f"plancov {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("run", help="check summaries against the plan and write the reports",
                       description="Read every summary (TXT, DOCX, PDF), classify its paragraphs, and write the\n"
                                   "coverage reports (coverage.json, index.html, coverage.xlsx, report.docx). With\n"
                                   "no inputs: the bundled seed plan over the bundled sample summaries.\n\n"
                                   "Files run in parallel worker processes, each file with a time limit and a\n"
                                   "memory cap. Results are kept in a run store (plancov-runs.sqlite) in the report\n"
                                   "folder, so a rerun, or a run after an interrupted one, does only the files not\n"
                                   "done yet. Exit 1 if any file failed (the reports are still written, with an\n"
                                   "error row for it), 3 if coverage is below --fail-under.",
                       epilog="examples:\n"
                              "  plancov run submissions/ --plan plan.docx --out report/ --jobs 4\n"
                              "  plancov run submissions/ --executor dask --scheduler tcp://host:8786",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("inputs", nargs="*", help="files, folders (recursive), a manifest CSV (file,branch,unit) or a .lst list")
    p.add_argument("--plan", default=None, help="plan file (default: the bundled seed plan)")
    p.add_argument("--out", default="plancov-report",
                   help="report folder, also holding the run store and plancov.log (default: ./plancov-report)")
    p.add_argument("--models", default=None, help="model folder (default: the bundled models/)")
    p.add_argument("--lang", default="zh", choices=["zh", "en"], help="report language (default: zh)")
    p.add_argument("--fail-under", type=_percent, default=None, metavar="PCT",
                   help="exit 3 when overall coverage is below PCT percent")
    p.add_argument("--thresholds", type=_thresholds, default=None, metavar="LOW,HIGH",
                   help="override the models' score thresholds for every requirement: evidence at "
                        "or above HIGH covers it (已覆盖), at or above LOW is weak (证据不足), e.g. 0.3,0.6")
    p.add_argument("--skip-covered", action="store_true", help="hide fully covered documents in the table")
    p.add_argument("-j", "--jobs", type=_positive_int, default=None, metavar="N",
                   help="worker processes (default: all cores)")
    p.add_argument("--timeout", type=_seconds, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                   help=f"time limit per file; a file over it is an error row (default: {DEFAULT_TIMEOUT:g})")
    p.add_argument("--max-memory", type=_megabytes, default=DEFAULT_MAX_MEMORY_MB, metavar="MB",
                   help=f"memory (address space) cap per worker; 0 for none (default: {DEFAULT_MAX_MEMORY_MB})")
    p.add_argument("--recycle-every", type=_positive_int, default=DEFAULT_RECYCLE_EVERY, metavar="N",
                   help=f"replace each worker by a fresh one after N files (default: {DEFAULT_RECYCLE_EVERY})")
    p.add_argument("--no-cache", action="store_true",
                   help="read and classify every file again, even those the run store has")
    p.add_argument("--executor", default="local", choices=["local", "dask", "inline"],
                   help="local worker processes (default), a dask cluster, or inline: this process, "
                        "no isolation (for debugging)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="dask scheduler, e.g. tcp://host:8786 (default with --executor dask: a local cluster)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress or info lines (for cron)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("plan", help="parse a plan into its requirement tree",
                       description="Parse a plan (TXT, DOCX or PDF) into its requirement catalog.",
                       epilog="example: plancov plan corpus/plans/seed_2022_model_organ.txt --json")
    p.add_argument("file")
    p.add_argument("--task-section", default=None, metavar="ID",
                   help="id of the section holding the task areas (default: found automatically)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("ingest", help="read a summary into paragraphs",
                       description="Read a TXT, DOCX or PDF file into the paragraphs its author wrote.",
                       epilog="example: plancov ingest corpus/summaries/s001.txt --json")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("corpus", help="corpus tools",
                       description="Tools for the annotated corpus.")
    csub = p.add_subparsers(dest="corpus_command", metavar="ACTION", required=True)
    c = csub.add_parser("check", help="check labels, ids, kinds and splits; print statistics",
                        epilog="example: plancov corpus check")
    c.add_argument("--root", default=None, help="corpus folder (default: the bundled corpus/)")
    c.add_argument("--plan", default=None, help="plan file (default: the bundled seed plan)")
    c.add_argument("--json", action="store_true", help="print JSON")
    c.set_defaults(func=cmd_corpus_check)

    p = sub.add_parser("classify", help="kind and requirement scores per paragraph",
                       description="Classify each paragraph of a summary: its kind and, for evidence, "
                                   "the requirements it serves with scores and the terms behind them. "
                                   "* marks a score at or above the covered threshold, ~ the weak one.",
                       epilog="example: plancov classify corpus/summaries/s001.txt --json")
    p.add_argument("file")
    p.add_argument("--plan", default=None, help="plan file (default: the bundled seed plan)")
    p.add_argument("--models", default=None, help="model folder (default: the bundled models/)")
    p.add_argument("--backend", default=None,
                   help="requirement scorer instead of the default chosen on dev: matcher, linear, spacy, "
                        "linear+spacy, … (the candidates in models/metadata.json)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_classify)

    p = sub.add_parser("train", help="rebuild the models from the corpus",
                       description="Fit the kind and requirement models on the corpus's train split, "
                                   "tune thresholds and choose the default on dev, write models/.",
                       epilog="example: plancov train")
    p.add_argument("--corpus", default=None, help="corpus folder (default: the bundled corpus/)")
    p.add_argument("--out", default=None, help="model folder to write (default: the bundled models/)")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("eval", help="held-out metrics of the models",
                       description="Evaluate the models on a held-out split (never train), beside the "
                                   "plan-agnostic matcher and a TF-IDF cosine baseline.",
                       epilog="example: plancov eval --split test --cv 5")
    p.add_argument("--split", default="test", choices=["test", "dev"])
    p.add_argument("--cv", type=int, default=0, metavar="K",
                   help="also run grouped K-fold cross-validation by document over train+dev")
    p.add_argument("--models", default=None)
    p.add_argument("--corpus", default=None)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_eval)
    p = sub.add_parser("report", help="re-render the reports from a coverage.json",
                       description="Re-render every report (index.html and its pages, coverage.xlsx, "
                                   "report.docx, and coverage.json when written elsewhere) from an "
                                   "existing coverage.json, and print the coverage table. Exits 3 when "
                                   "overall coverage is below --fail-under.",
                       epilog="example: plancov report plancov-report/coverage.json --out review --lang zh --fail-under 80")
    p.add_argument("coverage_json", metavar="COVERAGE_JSON", help="a coverage.json written by plancov")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="folder for the reports (default: the folder of COVERAGE_JSON)")
    p.add_argument("--lang", default="zh", choices=["zh", "en"], help="report labels: zh (default) or en")
    p.add_argument("--skip-covered", action="store_true", help="leave fully covered branches out of the table")
    p.add_argument("--fail-under", type=_percent, default=None, metavar="PCT",
                   help="exit 3 when overall coverage is below PCT (0-100)")
    p.set_defaults(func=cmd_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse exits 2 on usage errors, 0 on --help
        return int(e.code or 0)
    quiet = getattr(args, "quiet", False)
    logging.basicConfig(level=logging.DEBUG if args.verbose else (logging.WARNING if quiet else logging.INFO),
                        format="plancov: %(levelname)s: %(message)s", stream=sys.stderr)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return args.func(args)
    except PlancovError as e:
        sys.stderr.write(f"plancov: error: {e}\n")
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        sys.stderr.write("plancov: interrupted\n")
        return 130


def entry() -> None:  # console script
    sys.exit(main())
