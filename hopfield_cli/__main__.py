"""Allow ``python -m hopfield_cli``."""

from hopfield_cli.cli import main

if __name__ == "__main__":
    main()
