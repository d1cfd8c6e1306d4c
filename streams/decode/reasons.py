"""Why a message was rejected: the reason codes stored in `rejects.reason` and DLQ headers."""

from enum import StrEnum


class RejectReason(StrEnum):
    MESSAGE_TOO_LARGE = "message_too_large"
    INVALID_UTF8 = "invalid_utf8"
    INVALID_JSON = "invalid_json"
    NOT_AN_OBJECT = "not_an_object"
    UNSUPPORTED_SCHEMA_VERSION = "unsupported_schema_version"
    WRONG_TOPIC = "wrong_topic"
    MISSING_FIELD = "missing_field"
    WRONG_TYPE = "wrong_type"
    INVALID_VALUE = "invalid_value"
    OUT_OF_RANGE = "out_of_range"
    INVALID_TIMESTAMP = "invalid_timestamp"
    TIMESTAMP_OUT_OF_RANGE = "timestamp_out_of_range"
    UNKNOWN_DEPARTMENT = "unknown_department"
    INCONSISTENT_FIELDS = "inconsistent_fields"
    CONFLICTING_DUPLICATE = "conflicting_duplicate"
    DECODE_ERROR = "decode_error"  # decoding the message raised: a bug met, the message kept for a replay once fixed
