"""The ``crmlab`` command: one entry point for students, instructors and trainers.

Subcommands are contributed by the modules that implement them; each exposes
``register(subparsers)`` which adds its parser and sets ``func(args) -> int``.
Modules keep their heavy imports inside functions, so ``crmlab --help`` is fast.

    crmlab datasets build|list|describe NAME
    crmlab release [--check]
    crmlab grade SOURCE SUBMISSIONS --out gradebook.csv [--sandbox auto|bwrap|none]
    crmlab gradebook merge GRADEBOOK WRITTEN | export GRADEBOOK --lms canvas|moodle
    crmlab casestudy run NOTEBOOK --params FILE --out DIR
"""
from __future__ import annotations

import argparse
import importlib
import sys

COMMAND_MODULES = ("crmlab.datasets", "crmlab.release", "crmlab.grade", "crmlab.gradebook", "crmlab.casestudy")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crmlab",
        description="crmlab: the CRM workbook's datasets, exercises, grading and case studies.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a module not written yet must not break the others
            if exc.name != name:
                raise
            continue
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
