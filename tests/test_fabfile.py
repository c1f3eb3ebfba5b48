"""fabfile.py against a real sshd on loopback: deploy a git repository into a
temporary service directory, where a stand-in for systemctl runs gunicorn
with config/gunicorn.conf.py; and roll back when the new version is not healthy.

The service's virtualenv is a fresh one; to keep the test fast it has no pip
of its own, and a .pth file lends it this interpreter's installed packages
(pip included), so the deploy's real `pip install -r requirements.txt -e .`
finds the requirements installed and installs the app only.
"""

import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import textwrap
import time
from pathlib import Path

import pytest
import requests

from yascheduler.support.ports import free_port
from tests.ssh_server import SshServer

ROOT = Path(__file__).resolve().parent.parent
FAB = Path(sys.executable).parent / "fab"
HEALTH_TIMEOUT = 6
BREAK_HEALTH = (
    "\n\n# Broken on purpose by tests/test_fabfile.py: never healthy.\n"
    'ReadModel.health = lambda self: (False, "broken on purpose")\n'
)

# The test's `systemctl restart yascheduler`: stop the gunicorn of the pid
# file, start the deployed code's, detached from the SSH session.
RESTART_SCRIPT = """\
#!/bin/sh
here={service}
if [ -s "$here/gunicorn.pid" ]; then
    pid=$(cat "$here/gunicorn.pid")
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    rm -f "$here/gunicorn.pid"
fi
set -a; . "$here/env"; set +a
cd {app}
setsid {venv}/bin/python -m gunicorn -c config/gunicorn.conf.py --pid "$here/gunicorn.pid" \\
    yascheduler.app.wsgi:application </dev/null >>"$here/service.log" 2>&1 &
"""


def git(repo, *args) -> str:
    identity = ["-c", "user.name=Test", "-c", "user.email=test@example.com"]
    result = subprocess.run(
        ["git", *identity, "-C", str(repo), *args], check=True, capture_output=True, text=True
    )
    return result.stdout.strip()


def copy_sources(destination: Path) -> None:
    """The working tree as it is now: tracked and untracked files, not the ignored ones."""
    listed = git(ROOT, "ls-files", "--cached", "--others", "--exclude-standard", "-z")
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


class Deployment:
    """The source repository, the host's service directory, sshd, and `fab`."""

    def __init__(self, workdir: Path, sshd: SshServer):
        self.source = workdir / "source"
        self.service = workdir / "service"
        self.app = self.service / "app"
        self.venv = self.service / "venv"
        self.home = workdir / "home"  # fab's: no known_hosts or ssh config of the machine
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        for directory in (self.source, self.service, self.home):
            directory.mkdir()
        copy_sources(self.source)
        git(self.source, "init", "--quiet", "--initial-branch=main")
        git(self.source, "add", "--all")
        git(self.source, "commit", "--quiet", "-m", "the version to deploy")
        self.first_commit = git(self.source, "rev-parse", "HEAD")
        self._make_venv()
        self._write_service_files()
        self.deploy_config = workdir / "deploy.toml"
        self.deploy_config.write_text(
            textwrap.dedent(f"""\
                hosts = ["127.0.0.1"]
                user = "{sshd.user}"
                port = {sshd.port}
                key_file = "{sshd.client_key}"
                repo_url = "{self.source}"
                app_dir = "{self.app}"
                venv_dir = "{self.venv}"
                config_file = "{self.service / "yascheduler.toml"}"
                service_url = "{self.url}"
                health_timeout = {HEALTH_TIMEOUT}
                restart_command = "{self.service / "restart.sh"}"
                status_command = "echo gunicorn pid $(cat {self.service / "gunicorn.pid"})"
                logs_command = "tail -n {{lines}} {self.service / "service.log"}"
            """)
        )

    def _make_venv(self) -> None:
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(self.venv)], check=True)
        site_packages = Path(
            subprocess.check_output(
                [str(self.venv / "bin" / "python"), "-c",
                 "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                text=True,
            ).strip()
        )  # fmt: skip
        lent = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
        (site_packages / "lent-packages.pth").write_text("\n".join(sorted(lent)) + "\n")

    def _write_service_files(self) -> None:
        restart = self.service / "restart.sh"
        restart.write_text(
            RESTART_SCRIPT.format(service=self.service, app=self.app, venv=self.venv)
        )
        restart.chmod(0o755)
        # No redis_url: each gunicorn starts an embedded redis-server of its own.
        (self.service / "env").write_text(
            f"YASCHEDULER_HTTP=127.0.0.1:{self.port}\n"
            f"YASCHEDULER_CONFIG={self.service / 'yascheduler.toml'}\n"
        )
        (self.service / "yascheduler.toml").write_text(
            f'catalog = "{self.app / "config" / "catalog.example.json"}"\nping_interval = 2\n'
        )

    def fab(self, *args) -> subprocess.CompletedProcess:
        task, *options = args
        env = {**os.environ, "HOME": str(self.home)}
        env.pop("YASCHEDULER_DEPLOY_CONFIG", None)
        return subprocess.run(
            [str(FAB), "--search-root", str(ROOT), task, *options,
             "--deploy-config", str(self.deploy_config)],
            env=env, capture_output=True, text=True, timeout=180,
        )  # fmt: skip

    def deployed_ref(self) -> str:
        return (self.app / ".deployed-ref").read_text().strip()

    def health(self) -> int:
        return requests.get(f"{self.url}/healthz", timeout=2).status_code

    def stop_service(self) -> None:
        pid_file = self.service / "gunicorn.pid"
        if not pid_file.exists():
            return
        pid = int(pid_file.read_text())
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and pid_file.exists():
            time.sleep(0.1)
        if pid_file.exists():
            os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    server = SshServer(tmp_path_factory.mktemp("sshd"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, sshd):
    deployment = Deployment(tmp_path_factory.mktemp("deploy"), sshd)
    yield deployment
    deployment.stop_service()


@pytest.fixture(scope="module")
def deployed(deployment):
    """The first deploy, of the branch main: the result of `fab deploy`."""
    return deployment.fab("deploy", "--ref", "main")


def test_fab_lists_the_tasks():
    result = subprocess.run(
        [str(FAB), "--search-root", str(ROOT), "--list"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    tasks = {line.split()[0] for line in result.stdout.splitlines()[1:] if line.startswith("  ")}
    assert {"deploy", "restart", "status", "logs"} <= tasks


def test_deploy_installs_checks_restarts_and_waits_until_healthy(deployment, deployed):
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    assert f"deployed main ({deployment.first_commit[:12]}): healthy" in deployed.stdout
    assert deployment.deployed_ref() == deployment.first_commit
    assert git(deployment.app, "rev-parse", "HEAD") == deployment.first_commit
    assert (deployment.venv / "bin" / "yascheduler").exists()
    assert deployment.health() == 200


def test_status_and_logs(deployment, deployed):
    status = deployment.fab("status")
    assert status.returncode == 0, status.stdout + status.stderr
    assert f"deployed: {deployment.first_commit}" in status.stdout
    assert "gunicorn pid" in status.stdout
    assert "redis_connected" in status.stdout and "yes" in status.stdout
    logs = deployment.fab("logs", "--lines", "500")
    assert logs.returncode == 0, logs.stderr
    assert "yascheduler started" in logs.stdout


def test_deploy_rolls_back_when_the_new_version_is_not_healthy(deployment, deployed):
    assert deployed.returncode == 0
    service_py = deployment.source / "yascheduler" / "app" / "service.py"
    service_py.write_text(service_py.read_text() + BREAK_HEALTH)
    git(deployment.source, "commit", "--quiet", "--all", "-m", "a version that is never healthy")
    broken = git(deployment.source, "rev-parse", "HEAD")

    result = deployment.fab("deploy", "--ref", broken)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert f"not healthy within {HEALTH_TIMEOUT}s; last answer: HTTP 503" in output
    assert f"rolled back to {deployment.first_commit[:12]}" in output
    assert deployment.deployed_ref() == deployment.first_commit
    assert git(deployment.app, "rev-parse", "HEAD") == deployment.first_commit
    assert deployment.health() == 200
