"""``python -m nb2prod``."""

from nb2prod.entry import main

if __name__ == "__main__":
    main()
