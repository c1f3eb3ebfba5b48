"""A throwaway OpenSSH server on a free loopback port, logging in the current
user with a key of its own; everything in one temporary directory."""

import getpass
import os
import socket
import subprocess
import time
from pathlib import Path

from yascheduler.support.ports import free_port

SSHD = "/usr/sbin/sshd"


class SshServer:
    def __init__(self, workdir: Path):
        self.workdir = Path(workdir)
        self.port = free_port()
        self.user = getpass.getuser()
        self.client_key = self.workdir / "client_ed25519"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 10.0) -> None:
        host_key = self.workdir / "host_ed25519"
        for key in (host_key, self.client_key):
            subprocess.run(
                ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "yascheduler-test",
                 "-f", str(key)],
                check=True,
            )  # fmt: skip
        authorized = self.workdir / "authorized_keys"
        authorized.write_text(Path(f"{self.client_key}.pub").read_text())
        config = self.workdir / "sshd_config"
        config.write_text(
            f"Port {self.port}\n"
            "ListenAddress 127.0.0.1\n"
            f"HostKey {host_key}\n"
            f"AuthorizedKeysFile {authorized}\n"
            f"PidFile {self.workdir / 'sshd.pid'}\n"
            "StrictModes no\n"
            "UsePAM no\n"
            "PubkeyAuthentication yes\n"
            "PasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\n"
            "PermitRootLogin prohibit-password\n"
        )
        if os.geteuid() == 0:
            # sshd run by root wants its privilege separation directory.
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        self.log = open(self.workdir / "sshd.log", "wb")
        self.process = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(config)],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self._wait_for_banner(timeout)

    def _wait_for_banner(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    if sock.recv(4).startswith(b"SSH-"):
                        return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    "sshd did not start: " + (self.workdir / "sshd.log").read_text(errors="replace")
                )
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        self.log.close()
