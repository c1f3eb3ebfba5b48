"""Deploy and operate yascheduler over SSH, with Fabric 3 (`fab --list`).

    fab deploy --ref v1.4      fetch the ref on every host, install it into the
                               service's virtualenv, check the config, restart,
                               wait for /healthz; roll back if it does not answer 200
    fab restart                restart the service and wait until it is healthy
    fab status                 the deployed ref, the service manager's view, /api/status
    fab logs [--lines 200]     the service's last log lines

Hosts, user, paths and commands come from a deploy config file (TOML, see
config/deploy.example.toml): `--deploy-config PATH` on any task, else
$YASCHEDULER_DEPLOY_CONFIG, else ./deploy.toml. `fab -H user@host:port [-i key]`
replaces its hosts, user, port and key. Hosts are done one after the other;
the first that fails stops the run.

Nothing here imports yascheduler: this runs on the operator's machine.
"""

import os
import shlex
import tomllib
from dataclasses import MISSING, dataclass, fields

from fabric import Connection, task
from invoke.exceptions import Exit, UnexpectedExit

DEFAULT_DEPLOY_CONFIG = "deploy.toml"
DEPLOYED_REF_FILE = ".deployed-ref"
OUTPUT_TAIL_LINES = 15


@dataclass(frozen=True)
class DeployConfig:
    """The deploy config file; see config/deploy.example.toml for each key."""

    hosts: list
    repo_url: str
    app_dir: str
    venv_dir: str
    user: str | None = None
    port: int = 22
    key_file: str | None = None
    python: str = "python3"
    config_file: str = "/etc/yascheduler/yascheduler.toml"
    service_url: str = "http://127.0.0.1:9000"
    health_timeout: float = 60.0
    restart_command: str = "sudo systemctl restart yascheduler"
    status_command: str = "systemctl status --no-pager --lines=0 yascheduler"
    logs_command: str = "journalctl --unit yascheduler --no-pager --lines {lines}"


def load_deploy_config(path: str | None) -> DeployConfig:
    path = path or os.environ.get("YASCHEDULER_DEPLOY_CONFIG") or DEFAULT_DEPLOY_CONFIG
    try:
        with open(path, "rb") as file:
            table = tomllib.load(file)
    except OSError as error:
        raise Exit(f"deploy config: cannot read {path}: {error.strerror}", code=2) from None
    except tomllib.TOMLDecodeError as error:
        raise Exit(f"deploy config: {path} is not valid TOML: {error}", code=2) from None
    known = {field.name: field for field in fields(DeployConfig)}
    problems = [f"unknown key {key!r}" for key in table if key not in known]
    problems += [
        f"{name!r} is required"
        for name, field in known.items()
        if field.default is MISSING and name not in table
    ]
    if not isinstance(table.get("hosts", []), list):
        problems.append("'hosts' must be a list of host names")
    if problems:
        raise Exit(f"deploy config {path}: " + "; ".join(problems), code=2)
    return DeployConfig(**table)


def connections(c, config: DeployConfig) -> list[Connection]:
    """`fab -H`'s connection, else one per host of the deploy config."""
    if isinstance(c, Connection):
        return [c]
    if not config.hosts:
        raise Exit("no hosts: list them in the deploy config, or give fab -H", code=2)
    connect_kwargs = {}
    if config.key_file:
        key_file = os.path.expanduser(config.key_file)
        connect_kwargs = {"key_filename": key_file, "look_for_keys": False, "allow_agent": False}
    return [
        Connection(
            host, user=config.user, port=config.port, connect_kwargs=connect_kwargs,
            config=c.config,
        )
        for host in config.hosts
    ]  # fmt: skip


# --- running commands on a host -----------------------------------------------------------


class StepFailed(Exception):
    """A step of a deploy failed on a host; the message says which and why."""


def say(conn: Connection, message: str) -> None:
    print(f"[{conn.host}] {message}", flush=True)


def remote(conn: Connection, step: str, command: str, hide: bool = True) -> str:
    """Run `command`; its output if it succeeds, else StepFailed with its tail."""
    try:
        result = conn.run(command, hide=hide, in_stream=False)
    except UnexpectedExit as error:
        output = (error.result.stdout + error.result.stderr).strip().splitlines()
        tail = "\n    ".join(output[-OUTPUT_TAIL_LINES:])
        raise StepFailed(f"{step} failed (exit status {error.result.exited})\n    {tail}") from None
    return result.stdout.strip()


def q(value) -> str:
    return shlex.quote(str(value))


# Run on the host by the virtualenv's Python: needs nothing but the standard library.
HEALTH_PROBE = """
import sys, time, urllib.error, urllib.request
url, deadline = sys.argv[1], time.monotonic() + float(sys.argv[2])
while True:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            sys.exit(0)
    except urllib.error.HTTPError as error:
        last = f"HTTP {error.code}: {error.read(200).decode(errors='replace').strip()}"
    except OSError as error:
        last = str(getattr(error, "reason", error))
    if time.monotonic() > deadline:
        print(f"{url} not healthy within {sys.argv[2]}s; last answer: {last}")
        sys.exit(1)
    time.sleep(0.5)
"""


def wait_healthy(conn: Connection, config: DeployConfig) -> None:
    url = config.service_url.rstrip("/") + "/healthz"
    say(conn, f"waiting for {url} to answer 200 (at most {config.health_timeout:g}s)")
    python = f"{config.venv_dir}/bin/python"
    remote(
        conn, "health check",
        f"{q(python)} -c {q(HEALTH_PROBE)} {q(url)} {q(config.health_timeout)}",
    )  # fmt: skip


def restart_service(conn: Connection, config: DeployConfig) -> None:
    say(conn, f"restarting: {config.restart_command}")
    remote(conn, "restart", config.restart_command)


# --- deploying ---------------------------------------------------------------------------


def deployed_ref(conn: Connection, config: DeployConfig) -> str | None:
    path = f"{config.app_dir}/{DEPLOYED_REF_FILE}"
    result = conn.run(f"cat {q(path)}", hide=True, warn=True, in_stream=False)
    return (result.stdout.strip() or None) if result.ok else None


def fetch(conn: Connection, config: DeployConfig, ref: str) -> str:
    """Clone or fetch the repository on the host; the commit `ref` names there."""
    app = q(config.app_dir)
    remote(
        conn, "clone",
        f"test -d {app}/.git || git clone --quiet --no-checkout {q(config.repo_url)} {app}",
    )  # fmt: skip
    remote(
        conn, "fetch",
        f"git -C {app} fetch --quiet --force --prune --tags origin "
        "'+refs/heads/*:refs/remotes/origin/*'",
    )  # fmt: skip
    # A branch is taken as fetched (origin/NAME), a tag or commit as it is.
    return remote(
        conn, f"resolve {ref}",
        f"git -C {app} rev-parse --verify --quiet {q(f'origin/{ref}^{{commit}}')}"
        f" || git -C {app} rev-parse --verify --quiet {q(f'{ref}^{{commit}}')}"
        f" || {{ echo 'no branch, tag or commit named {ref}' >&2; exit 1; }}",
    )  # fmt: skip


def install(conn: Connection, config: DeployConfig, commit: str) -> None:
    """Check out `commit`, install it into the virtualenv, check the config."""
    app, venv = q(config.app_dir), q(config.venv_dir)
    say(conn, f"checking out {commit[:12]}")
    remote(conn, "checkout", f"git -C {app} checkout --quiet --force --detach {q(commit)}")
    say(conn, f"installing into {config.venv_dir}")
    remote(conn, "virtualenv", f"test -x {venv}/bin/python || {config.python} -m venv {venv}")
    remote(
        conn, "pip install",
        f"cd {app} && {venv}/bin/python -m pip install --quiet --disable-pip-version-check"
        " -r requirements.txt -e .",
    )  # fmt: skip
    if config.config_file:
        say(conn, f"checking {config.config_file}")
        remote(conn, "config check", f"{venv}/bin/yascheduler config check {q(config.config_file)}")


def deploy_host(conn: Connection, config: DeployConfig, ref: str) -> None:
    previous = deployed_ref(conn, config)
    commit = fetch(conn, config, ref)
    say(conn, f"deploying {ref} ({commit[:12]}); deployed now: {previous or 'nothing'}")
    restarted = False
    try:
        install(conn, config, commit)
        restarted = True
        restart_service(conn, config)
        wait_healthy(conn, config)
    except StepFailed as failure:
        say(conn, str(failure))
        if previous is None:
            raise Exit(
                f"[{conn.host}] deploy of {ref} failed; nothing to roll back to", 1
            ) from None
        roll_back(conn, config, previous, restarted, ref)
    conn.run(
        f"echo {q(commit)} > {q(config.app_dir + '/' + DEPLOYED_REF_FILE)}",
        hide=True, in_stream=False,
    )  # fmt: skip
    say(conn, f"deployed {ref} ({commit[:12]}): healthy")


def roll_back(conn, config: DeployConfig, previous: str, restart: bool, ref: str) -> None:
    say(conn, f"rolling back to {previous[:12]}")
    try:
        install(conn, config, previous)
        if restart:
            restart_service(conn, config)
            wait_healthy(conn, config)
    except StepFailed as failure:
        say(conn, str(failure))
        raise Exit(
            f"[{conn.host}] deploy of {ref} failed, and so did the roll back to {previous[:12]}",
            1,
        ) from None
    raise Exit(f"[{conn.host}] deploy of {ref} failed: rolled back to {previous[:12]}", 1)


# --- tasks -------------------------------------------------------------------------------------

CONFIG_HELP = "deploy config file (default: $YASCHEDULER_DEPLOY_CONFIG, else ./deploy.toml)"


@task(help={"ref": "branch, tag or commit to deploy", "deploy-config": CONFIG_HELP})
def deploy(c, ref, deploy_config=None):
    """Deploy a git ref on every host; roll back any host that does not get healthy."""
    config = load_deploy_config(deploy_config)
    for conn in connections(c, config):
        deploy_host(conn, config, ref)


@task(help={"deploy-config": CONFIG_HELP})
def restart(c, deploy_config=None):
    """Restart the service on every host and wait until it is healthy."""
    config = load_deploy_config(deploy_config)
    for conn in connections(c, config):
        try:
            restart_service(conn, config)
            wait_healthy(conn, config)
        except StepFailed as failure:
            raise Exit(f"[{conn.host}] {failure}", 1) from None
        say(conn, "healthy")


@task(help={"deploy-config": CONFIG_HELP})
def status(c, deploy_config=None):
    """The deployed ref, the service manager's status, and the scheduler's own."""
    config = load_deploy_config(deploy_config)
    failed = False
    for conn in connections(c, config):
        say(conn, f"deployed: {deployed_ref(conn, config) or 'nothing'}")
        for command in (
            config.status_command,
            f"{q(config.venv_dir + '/bin/yascheduler')} status --url {q(config.service_url)}",
        ):
            result = conn.run(command, warn=True, hide=True, in_stream=False)
            output = (result.stdout + result.stderr).rstrip()
            print("\n".join(f"[{conn.host}]   {line}" for line in output.splitlines()))
            failed = failed or not result.ok
    if failed:
        raise Exit(code=1)


@task(help={"lines": "how many of the last log lines", "deploy-config": CONFIG_HELP})
def logs(c, lines=100, deploy_config=None):
    """The service's last log lines on every host."""
    config = load_deploy_config(deploy_config)
    for conn in connections(c, config):
        say(conn, config.logs_command.format(lines=int(lines)))
        try:
            print(remote(conn, "logs", config.logs_command.format(lines=int(lines))))
        except StepFailed as failure:
            raise Exit(f"[{conn.host}] {failure}", 1) from None
