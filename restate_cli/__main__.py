"""Entry point for ``restate-cli`` and ``python -m restate_cli``."""

import sys


def main() -> None:
    args = sys.argv[1:]
    if args in (["--version"], ["-V"]):  # answered without loading the command tree
        from restate_cli import __version__

        sys.stdout.write(f"restate-cli {__version__}\n")
        sys.exit(0)
    if args[:1] == ["__complete"]:  # shell completion: must answer fast, so no typer either
        from restate_cli.completion.dynamic import main as complete

        sys.exit(complete(args[1:]))
    from restate_cli.app import main as run

    sys.exit(run(args))


if __name__ == "__main__":
    main()
