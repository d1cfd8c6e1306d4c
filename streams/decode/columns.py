"""Names of the columns the parser adds beside the contract's fields (parse.py, integers.py, rules.py)."""

ROW = "_row"  # the message's position in its batch
TYPE_PREFIX = "_type_"  # + field: the first character of its JSON value
INT_VALUE = "_int_"  # + integer field: its exact Int64, where it is one inside the 64-bit range
INT_KIND = "_intkind_"  # + integer field: ok, range (an integer outside the signed 64-bit range) or fraction
NULL_DOC = "_null_doc"  # the message is JSON null
