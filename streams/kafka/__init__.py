"""The local single-node Apache Kafka (KRaft) broker, topic administration, and how clients connect.

Every Kafka client of the project is built by `streams.kafka.clients`; kafka-python is imported
nowhere else in the package.
"""

KAFKA_VERSION = "4.1.1"
