"""Run every benchmark and print its ratio against a baseline measured in the same run."""

from bench import employee_import

if __name__ == "__main__":
    employee_import.main()
