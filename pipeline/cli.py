"""The ``plancov`` command line: parses options, calls one library function, maps errors to exit codes.

Exit codes: 0 ok; 1 error; 2 usage; 3 coverage below --fail-under.
Data goes to stdout, logs and progress to stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from . import __version__
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="plancov",
        description="Check year-end work summaries against an implementation plan's requirements.",
    )
    parser.add_argument("--version", action="version", version=f"plancov {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

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
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse exits 2 on usage errors, 0 on --help
        return int(e.code or 0)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
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
