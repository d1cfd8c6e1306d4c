"""How every Kafka client of the project connects: plaintext, TLS, SASL (PLAIN, SCRAM), from the environment.

Credentials are read from the environment only (never from a flag, a file in the repository or a
log line): a process list or a shell history would show a flag. Every client the project opens
(consumer, DLQ and event producers, admin) gets the same settings through `client_security()`.

| variable | values |
|---|---|
| CUSTOMS_KPI_KAFKA_SECURITY_PROTOCOL | PLAINTEXT (default), SSL, SASL_PLAINTEXT, SASL_SSL |
| CUSTOMS_KPI_KAFKA_SASL_MECHANISM | PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 (for SASL_*) |
| CUSTOMS_KPI_KAFKA_SASL_USERNAME, CUSTOMS_KPI_KAFKA_SASL_PASSWORD | the SASL credentials |
| CUSTOMS_KPI_KAFKA_SSL_CAFILE | PEM file of the CA that signed the broker's certificate (SSL, SASL_SSL) |
| CUSTOMS_KPI_KAFKA_SSL_CERTFILE, CUSTOMS_KPI_KAFKA_SSL_KEYFILE | client certificate and key, for brokers that want one |
| CUSTOMS_KPI_KAFKA_SSL_CHECK_HOSTNAME | true (default) or false |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from streams.errors import ConfigError

PREFIX = "CUSTOMS_KPI_KAFKA_"
PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


def client_security(env: Mapping[str, str] | None = None) -> dict[str, object]:
    """kafka-python settings for the configured protocol; {} for plaintext. Raises ConfigError."""
    env = os.environ if env is None else env

    def get(name: str) -> str | None:
        value = env.get(PREFIX + name)
        return value.strip() if value is not None and value.strip() else None

    protocol = (get("SECURITY_PROTOCOL") or "PLAINTEXT").upper()
    if protocol not in PROTOCOLS:
        raise ConfigError(PREFIX + "SECURITY_PROTOCOL", protocol, " or ".join(PROTOCOLS))
    config: dict[str, object] = {}
    if protocol == "PLAINTEXT":
        stray = [PREFIX + n for n in ("SASL_MECHANISM", "SASL_USERNAME", "SASL_PASSWORD", "SSL_CAFILE") if get(n)]
        if stray:  # credentials set but unused: the connection would silently be in the clear
            raise ConfigError(PREFIX + "SECURITY_PROTOCOL", "PLAINTEXT", f"SSL, SASL_PLAINTEXT or SASL_SSL, since {stray[0]} is set")
        return config
    config["security_protocol"] = protocol
    if protocol.startswith("SASL_"):
        mechanism = (get("SASL_MECHANISM") or "").upper()
        if mechanism not in MECHANISMS:
            raise ConfigError(PREFIX + "SASL_MECHANISM", mechanism or "(unset)", " or ".join(MECHANISMS))
        username, password = get("SASL_USERNAME"), env.get(PREFIX + "SASL_PASSWORD")
        if not username:
            raise ConfigError(PREFIX + "SASL_USERNAME", "(unset)", f"the user name for {mechanism}")
        if not password:
            raise ConfigError(PREFIX + "SASL_PASSWORD", "(unset)", f"the password of {username}, from the environment")
        config.update(sasl_mechanism=mechanism, sasl_plain_username=username, sasl_plain_password=password)
    if protocol.endswith("SSL"):
        for name, key in (("SSL_CAFILE", "ssl_cafile"), ("SSL_CERTFILE", "ssl_certfile"), ("SSL_KEYFILE", "ssl_keyfile")):
            path = get(name)
            if path is not None:
                if not Path(path).is_file():
                    raise ConfigError(PREFIX + name, path, "a readable PEM file")
                config[key] = path
        if ("ssl_certfile" in config) != ("ssl_keyfile" in config):
            raise ConfigError(PREFIX + "SSL_KEYFILE", get("SSL_KEYFILE") or "(unset)", "set together with SSL_CERTFILE")
        check = (get("SSL_CHECK_HOSTNAME") or "true").lower()
        if check not in ("true", "false"):
            raise ConfigError(PREFIX + "SSL_CHECK_HOSTNAME", check, "true or false")
        config["ssl_check_hostname"] = check == "true"
    return config


def describe(config: Mapping[str, object]) -> str:
    """For logs: the protocol and user, never the password."""
    if not config:
        return "PLAINTEXT"
    parts = [str(config["security_protocol"])]
    if "sasl_mechanism" in config:
        parts.append(f"{config['sasl_mechanism']} as {config['sasl_plain_username']}")
    return " ".join(parts)
