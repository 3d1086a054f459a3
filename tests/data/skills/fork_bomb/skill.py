"""Tries to start processes in every way Python offers; the sandbox refuses."""
import os
import subprocess

from skillkit import launch


@launch
def welcome(req):
    refused = []
    try:
        while True:
            os.fork()
    except OSError as e:
        refused.append(f"fork: {e.strerror}")
    try:
        subprocess.run(["/bin/true"], check=False)
    except OSError as e:
        refused.append(f"subprocess: {e.strerror}")
    return "Refused " + "; ".join(refused) + "."
