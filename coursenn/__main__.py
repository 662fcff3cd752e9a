"""``python -m coursenn``: versions, backend and GPUs, for bug reports."""

import platform

from coursenn import __version__, backend


def main() -> None:
    print(f"coursenn {__version__}")
    print(f"python {platform.python_version()} ({platform.platform()})")
    for key, value in backend.info().items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
