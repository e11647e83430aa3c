"""Start the deploy the way many servers do: update the code in place, install, then serve.

The deploy is a git working copy on the server. Every start (and restart)
pulls whatever the branch holds now and installs the requirements again.
"""

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PORT = os.environ.get("PORT", "8000")

# The run stage changes the code it runs: a restart can start different code.
subprocess.run(["git", "pull", "--quiet", "--ff-only"], cwd=HERE, check=True)
# The run stage does the build's work: installing on every start, slowly.
subprocess.run(
    [sys.executable, "-m", "pip", "install", "--quiet", "--upgrade", "--no-compile"]
    + ["--target", str(HERE / "vendor"), "-r", str(HERE / "requirements.txt")],
    check=True,
)
os.environ["PYTHONPATH"] = str(HERE / "vendor")
os.execv(
    sys.executable,
    [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{PORT}", "--preload"]
    + ["--no-control-socket"]
    + ["--pythonpath", str(HERE), "app:app"],
)
