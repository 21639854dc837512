from policyfactory.cli import run

run()
