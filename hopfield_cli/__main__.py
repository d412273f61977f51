"""Allow ``python -m hopfield_cli``."""

from hopfield_cli._entry import main

if __name__ == "__main__":
    main()
