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

from crmlab._extras import MissingExtraError, extra_of

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
        except MissingExtraError as exc:  # its extra is not installed: the command says which
            _unavailable(sub, name.rsplit(".", 1)[-1], exc)
            continue
        except ModuleNotFoundError as exc:  # a module not written yet must not break the others
            if exc.name != name:
                raise
            continue
        module.register(sub)
    return parser


def _unavailable(sub, command: str, exc: MissingExtraError) -> None:
    """A command whose extra is not installed: listed, and saying what to install when run."""
    p = sub.add_parser(command, help=f'(needs pip install "crmlab[{exc.extra}]")', add_help=False)
    p.set_defaults(func=lambda args: _missing(str(exc)), unavailable=True)


def _missing(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown and not getattr(args, "unavailable", False):  # an unavailable command takes any arguments
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except ModuleNotFoundError as exc:  # an optional package the command needs (crmlab._extras)
        extra = extra_of(exc.name)
        if extra is None:
            raise
        return _missing(str(MissingExtraError(f"crmlab {args.command}", extra, [str(exc.name).split(".")[0]])))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
