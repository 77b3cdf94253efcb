"""Execution environments: worker processes, the Runtime API they talk to, and their pools."""
