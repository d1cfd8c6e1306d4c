"""Kafka connection settings from the environment: what each protocol needs, and errors that name
the setting without showing the password."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.cli.common import as_flag
from streams.cli.settings import kafka_connection
from streams.config import Secret
from streams.errors import ConfigError
from streams.kafka.clients import client_config

P = "CUSTOMS_KPI_KAFKA_"


def test_plaintext_by_default() -> None:
    """No variables: plaintext, and no settings for kafka-python beyond the brokers."""
    connection = kafka_connection("127.0.0.1:9092", {})
    assert client_config(connection) == {}
    assert connection.describe() == "PLAINTEXT"


def test_sasl_scram_over_tls(tmp_path: Path) -> None:
    """SASL_SSL with SCRAM: every kafka-python setting, the password in a secret that prints as asterisks."""
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    env = {
        P + "SECURITY_PROTOCOL": "sasl_ssl",
        P + "SASL_MECHANISM": "scram-sha-512",
        P + "SASL_USERNAME": "kpi",
        P + "SASL_PASSWORD": "p@ss word",
        P + "SSL_CAFILE": str(ca),
    }
    connection = kafka_connection("127.0.0.1:9093", env)
    assert client_config(connection) == {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "kpi",
        "sasl_plain_password": "p@ss word",
        "ssl_cafile": str(ca),
        "ssl_check_hostname": True,
    }
    assert connection.describe() == "SASL_SSL SCRAM-SHA-512 as kpi"
    assert "p@ss" not in repr(connection) and "p@ss" not in str(connection)
    assert connection.sasl_password == Secret("p@ss word")


def test_sasl_plain_without_tls() -> None:
    """SASL_PLAINTEXT with PLAIN: no TLS settings."""
    env = {P + "SECURITY_PROTOCOL": "SASL_PLAINTEXT", P + "SASL_MECHANISM": "PLAIN", P + "SASL_USERNAME": "u", P + "SASL_PASSWORD": "x"}
    assert client_config(kafka_connection("127.0.0.1:9092", env)) == {
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
    """Each bad setting is a ConfigError naming its variable and what would be right, never the password."""
    with pytest.raises(ConfigError) as error:
        kafka_connection("127.0.0.1:9092", env)
    assert error.value.setting == setting
    assert expected in str(error.value)
    assert "secret" not in str(error.value)


def test_a_bad_bootstrap_list_names_the_option() -> None:
    """Producers, topics, rejects and the consumer share one check of --bootstrap-servers."""
    with pytest.raises(ConfigError) as error:
        kafka_connection("localhost", {})
    assert error.value.setting == "bootstrap_servers"  # the library names the setting; the command line, its flag
    assert as_flag(error.value).setting == "--bootstrap-servers"


def test_a_refused_login_is_told_by_the_clients_exception_not_its_words() -> None:
    """kafka-python logs a refused login with its exception among the record's arguments: that is what counts."""
    import logging

    from kafka.errors import KafkaConnectionError, SaslAuthenticationFailedError

    from streams.kafka.clients import _LoginRefusals

    def record(*args: object) -> logging.LogRecord:
        return logging.LogRecord("kafka.net.manager", logging.WARNING, __file__, 1, "Bootstrap connection to %s failed: %s", args, None)

    handler = _LoginRefusals()
    handler.emit(record("bootstrap-0", KafkaConnectionError("Authentication failed: socket disconnected")))
    assert not handler.seen  # the words alone do not make a refusal
    handler.emit(record("bootstrap-0", SaslAuthenticationFailedError("Authentication failed during authentication")))
    assert handler.seen


@pytest.mark.parametrize(
    ("over", "setting", "expected"),
    [
        ({"batch_wait_ms": -1}, "--batch-wait", "milliseconds from 0 to 60000"),
        ({"batch_wait_ms": 60_001}, "--batch-wait", "milliseconds from 0 to 60000"),
        ({"max_poll_records": 0}, "--max-poll-records", "from 1 to 100000"),
        ({"publish_every_s": -1}, "--publish-every", "seconds between publications"),
        ({"replica": "a b"}, "--replica", "a name of 1 to 40 letters, digits"),
        ({"replica": "a"}, "--replica", "with a PostgreSQL catalog"),  # no lake, or (below) a SQLite one
        ({"replica": "a", "lake": "sqlite"}, "--replica", "with a PostgreSQL catalog"),
        ({"leader_session_timeout_ms": 500}, "--leader-session-timeout", "milliseconds from 1000 to 300000"),
    ],
)
def test_bad_consumer_settings_name_the_option(over: dict[str, object], setting: str, expected: str) -> None:
    from pathlib import Path

    from streams.config import ConsumerSettings, KafkaConnection, lake_for

    if over.get("lake") == "sqlite":
        over = {**over, "lake": lake_for(Path("x.duckdb"))}
    with pytest.raises(ConfigError) as error:
        ConsumerSettings(kafka=KafkaConnection("127.0.0.1:9092"), db_path=Path("x.duckdb"), metrics_port=9464, **over)  # type: ignore[arg-type]
    assert error.value.setting == next(iter(over))  # the field's name, which the command line shows as its flag
    assert as_flag(error.value).setting == setting
    assert expected in str(error.value)
