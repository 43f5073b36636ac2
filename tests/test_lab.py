"""`make lab` levanta JupyterLab: lo arrancamos como lo hace el Makefile y le pedimos /api/status."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from conftest import free_port  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _get(url: str, token: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"token {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def test_jupyterlab_answers_api_status_with_token(tmp_path):
    port, token = free_port(), secrets.token_hex(16)
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={ROOT / 'notebooks'}"]
    if os.geteuid() == 0:  # igual que el Makefile: como root, Jupyter pide --allow-root
        command.append("--allow-root")
    lab = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=(tmp_path / "lab.log").open("w"),
        env={**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path)},
    )
    try:
        url = f"http://127.0.0.1:{port}/api/status"
        deadline = time.monotonic() + 90
        status = None
        while time.monotonic() < deadline and status != 200 and lab.poll() is None:
            try:
                status, body = _get(url, token)
            except OSError:
                time.sleep(0.5)
        assert status == 200, (tmp_path / "lab.log").read_text()[-2000:]
        assert "started" in json.loads(body)
        assert _get(url)[0] == 403, "sin token, JupyterLab debe negar el acceso"
        code, listing = _get(f"http://127.0.0.1:{port}/api/contents", token)
        names = [item["name"] for item in json.loads(listing)["content"]]
        assert "00_preparacion.ipynb" in names
    finally:
        lab.terminate()
        lab.wait(timeout=30)


def test_make_lab_passes_lab_args_to_jupyterlab():
    """``make lab LAB_ARGS="..."`` llega a la orden de JupyterLab (``make -n`` solo la imprime)."""
    result = subprocess.run(["make", "-n", "lab", "LAB_ARGS=--port 8899 --no-browser"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lab_line = next(line for line in result.stdout.splitlines() if "jupyter lab" in line)
    assert lab_line.rstrip().endswith("--port 8899 --no-browser"), lab_line
