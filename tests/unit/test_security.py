"""Kafka connection settings from the environment: what each protocol needs, and errors that name
the setting without showing the password."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.errors import ConfigError
from streams.kafka.security import client_security, describe

P = "CUSTOMS_KPI_KAFKA_"


def test_plaintext_by_default() -> None:
    assert client_security({}) == {}
    assert describe({}) == "PLAINTEXT"


def test_sasl_scram_over_tls(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    env = {
        P + "SECURITY_PROTOCOL": "sasl_ssl",
        P + "SASL_MECHANISM": "scram-sha-512",
        P + "SASL_USERNAME": "kpi",
        P + "SASL_PASSWORD": "p@ss word",
        P + "SSL_CAFILE": str(ca),
    }
    config = client_security(env)
    assert config == {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "kpi",
        "sasl_plain_password": "p@ss word",
        "ssl_cafile": str(ca),
        "ssl_check_hostname": True,
    }
    assert describe(config) == "SASL_SSL SCRAM-SHA-512 as kpi"


def test_sasl_plain_without_tls() -> None:
    env = {P + "SECURITY_PROTOCOL": "SASL_PLAINTEXT", P + "SASL_MECHANISM": "PLAIN", P + "SASL_USERNAME": "u", P + "SASL_PASSWORD": "x"}
    assert client_security(env) == {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "PLAIN",
        "sasl_plain_username": "u",
        "sasl_plain_password": "x",
    }


@pytest.mark.parametrize(
    ("env", "setting", "expected"),
    [
        ({P + "SECURITY_PROTOCOL": "TLS"}, P + "SECURITY_PROTOCOL", "PLAINTEXT or SSL or SASL_PLAINTEXT or SASL_SSL"),
        ({P + "SECURITY_PROTOCOL": "SASL_SSL", P + "SASL_MECHANISM": "GSSAPI"}, P + "SASL_MECHANISM", "PLAIN or SCRAM-SHA-256"),
        ({P + "SECURITY_PROTOCOL": "SASL_SSL", P + "SASL_MECHANISM": "PLAIN"}, P + "SASL_USERNAME", "the user name"),
        (
            {P + "SECURITY_PROTOCOL": "SASL_SSL", P + "SASL_MECHANISM": "PLAIN", P + "SASL_USERNAME": "u"},
            P + "SASL_PASSWORD",
            "from the environment",
        ),
        ({P + "SECURITY_PROTOCOL": "SSL", P + "SSL_CAFILE": "/nonexistent/ca.pem"}, P + "SSL_CAFILE", "a readable PEM file"),
        ({P + "SECURITY_PROTOCOL": "SSL", P + "SSL_CHECK_HOSTNAME": "maybe"}, P + "SSL_CHECK_HOSTNAME", "true or false"),
        (
            {P + "SASL_USERNAME": "u", P + "SASL_PASSWORD": "secret"},
            P + "SECURITY_PROTOCOL",
            "since CUSTOMS_KPI_KAFKA_SASL_USERNAME is set",
        ),
    ],
)
def test_bad_settings_name_the_variable_and_what_is_expected(env: dict[str, str], setting: str, expected: str) -> None:
    with pytest.raises(ConfigError) as error:
        client_security(env)
    assert error.value.setting == setting
    assert expected in str(error.value)
    assert "secret" not in str(error.value)
