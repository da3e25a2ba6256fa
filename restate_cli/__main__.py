"""Entry point for ``restate-cli`` and ``python -m restate_cli``."""

import sys


def main() -> None:
    args = sys.argv[1:]
    if args in (["--version"], ["-V"]):  # answered without loading the command tree
        from restate_cli import __version__

        sys.stdout.write(f"restate-cli {__version__}\n")
        sys.exit(0)
    from restate_cli.app import main as run

    sys.exit(run(args))


if __name__ == "__main__":
    main()
