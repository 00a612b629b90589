"""Test-wide set-up: this folder is on sys.path (pytest's prepend import mode), so shared test
helpers such as tiny_llava.py import by name from every test package."""
