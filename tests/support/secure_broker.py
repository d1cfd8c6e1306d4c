"""TLS and SASL listeners on the local broker, for the security tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from streams.errors import BrokerError


@dataclass(frozen=True)
class SecureListeners:
    """Extra listeners for trying TLS and SASL against the local broker (tests, rehearsals).

    sasl_port serves SASL_PLAINTEXT; sasl_ssl_port serves SASL_SSL and ssl_port TLS alone, both
    with the PEM file `keystore` (an unencrypted PKCS#8 key followed by the certificate chain). Every user may log in with
    PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512. The passwords are written into the broker's
    server.properties in its data folder, which stays on this machine.
    """

    users: dict[str, str]
    sasl_port: int | None = None
    sasl_ssl_port: int | None = None
    keystore: Path | None = None
    ssl_port: int | None = None

    def listeners(self) -> list[tuple[str, int]]:
        found = [("SASL_PLAINTEXT", self.sasl_port), ("SASL_SSL", self.sasl_ssl_port), ("SSL", self.ssl_port)]
        return [(name, port) for name, port in found if port is not None]

    def properties(self) -> list[str]:
        lines = ["sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512"]
        plain_users = " ".join(f'user_{name}="{password}"' for name, password in self.users.items())
        for name, _ in self.listeners():
            if not name.startswith("SASL_"):
                continue
            prefix = f"listener.name.{name.lower()}"
            lines.append(f"{prefix}.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required {plain_users};")
            for scram in ("scram-sha-256", "scram-sha-512"):
                lines.append(f"{prefix}.{scram}.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;")
        if self.sasl_ssl_port is not None or self.ssl_port is not None:
            if self.keystore is None:
                raise BrokerError("an SSL or SASL_SSL listener needs a PEM keystore (key and certificate chain)")
            lines += ["ssl.keystore.type=PEM", f"ssl.keystore.location={self.keystore}"]
        return lines

    def scram_credentials(self) -> list[str]:
        """StorageTool arguments that create the SCRAM users when the storage is formatted."""
        return [
            f"--add-scram={mechanism}=[name={name},password={password}]"
            for name, password in self.users.items()
            for mechanism in ("SCRAM-SHA-256", "SCRAM-SHA-512")
        ]
