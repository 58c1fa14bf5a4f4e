"""Settings for a Temporal cluster or Temporal Cloud (address, namespace, API key, TLS client certificate and
CA) go from the environment, through the one settings object, into ``temporalio``'s ``Client.connect``."""

from __future__ import annotations

from typing import Any

import pytest
from temporalio.service import TLSConfig

from wfb_jupyter.settings import WfbSettings
from wfb_jupyter.temporal import TemporalConnection


class Connected(Exception):
    """Raised by the stand-in for ``Client.connect`` once it has seen its arguments."""


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    calls: dict[str, Any] = {}

    async def connect(address: str, **kwargs: Any) -> Any:
        calls.update(kwargs, address=address)
        raise Connected

    monkeypatch.setattr("wfb_jupyter.temporal._connection.Client.connect", connect)
    return calls


async def connect_with(environment: dict[str, str]) -> None:
    settings = WfbSettings(environment=environment).resolve()
    connection = TemporalConnection(settings.temporal, attempts=1)
    with pytest.raises(Exception, match="Connected"):
        await connection.get_client()


async def test_api_key_and_tls_files_reach_client_connect(seen, tmp_path) -> None:
    files = {name: tmp_path / f"{name}.pem" for name in ("cert", "key", "ca")}
    for name, path in files.items():
        path.write_bytes(f"-- {name} --".encode())
    await connect_with(
        {
            "TEMPORAL_ADDRESS": "my-ns.a1b2c.tmprl.cloud:7233",
            "TEMPORAL_NAMESPACE": "my-ns.a1b2c",
            "TEMPORAL_API_KEY": "secret-key",
            "TEMPORAL_TLS_CLIENT_CERT_PATH": str(files["cert"]),
            "TEMPORAL_TLS_CLIENT_KEY_PATH": str(files["key"]),
            "TEMPORAL_TLS_SERVER_CA_CERT_PATH": str(files["ca"]),
        }
    )
    assert seen["address"] == "my-ns.a1b2c.tmprl.cloud:7233"
    assert seen["namespace"] == "my-ns.a1b2c"
    assert seen["api_key"] == "secret-key"
    tls = seen["tls"]
    assert isinstance(tls, TLSConfig)
    assert (tls.client_cert, tls.client_private_key, tls.server_root_ca_cert) == (
        b"-- cert --",
        b"-- key --",
        b"-- ca --",
    )


async def test_an_api_key_alone_turns_on_tls_with_the_system_roots(seen) -> None:
    await connect_with({"TEMPORAL_ADDRESS": "cloud:7233", "TEMPORAL_API_KEY": "k"})
    assert (seen["api_key"], seen["tls"]) == ("k", True)


async def test_tls_flag_alone(seen) -> None:
    await connect_with({"TEMPORAL_ADDRESS": "cluster:7233", "TEMPORAL_TLS": "true"})
    assert (seen["api_key"], seen["tls"]) == (None, True)


async def test_a_plain_cluster_address_connects_without_tls(seen) -> None:
    await connect_with({"TEMPORAL_ADDRESS": "temporal.internal:7233"})
    assert (seen["address"], seen["api_key"], seen["tls"]) == (
        "temporal.internal:7233",
        None,
        False,
    )
