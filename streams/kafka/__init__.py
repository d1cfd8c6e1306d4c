"""The local single-node Apache Kafka (KRaft) broker, and topic administration."""

KAFKA_VERSION = "4.1.1"
