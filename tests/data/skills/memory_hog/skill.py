"""Asks for 80 GB: the worker's memory limit must stop it, not the machine."""
from skillkit import launch


@launch
def welcome(req):
    numbers = [0] * 10**10
    return f"I made {len(numbers)} zeros."
