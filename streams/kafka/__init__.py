"""The local single-node Apache Kafka (KRaft) broker, topic administration, and how clients connect.

Every Kafka client of the project takes its settings from `streams.kafka.security`, so importing
this package first installs the transport fix of `streams.kafka.eof` for all of them.
"""

from streams.kafka import eof

KAFKA_VERSION = "4.1.1"

eof.install()
