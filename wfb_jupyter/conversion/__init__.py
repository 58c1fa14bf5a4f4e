"""How values pass between steps: the payload converter every client and worker uses.

pandas DataFrames and Series (as Parquet, through pyarrow), numpy arrays and scalars, ``datetime``, ``date``,
``time``, ``timedelta``, ``Decimal``, ``UUID``, ``bytes``, sets, tuples and mappings with any keys come back as
the same types and values, in the next step and in a run's result; mapping key order is kept. A value it
cannot pass on faithfully fails with a message that names the step, the type and the fix. Inside workflow
code (the sandbox) pandas and numpy never load: their values are stand-ins (``OpaqueValue``) that pass on
unchanged, with a few properties expressions can read.

Storing large payloads outside the history is ``wfb_jupyter.payloads``'s part.
"""

from wfb_jupyter.conversion._data_converter import WfbDataConverter, data_converter
from wfb_jupyter.conversion._errors import (
    PayloadTooLargeError,
    UnsupportedValueError,
    format_size,
)
from wfb_jupyter.conversion._payload_converter import (
    BINARY_BY_REFERENCE_BYTES,
    BUNDLE,
    SUMMARY_KEY,
    TAGGED_KEY,
    TEMPORAL_PAYLOAD_LIMIT,
    PayloadLimits,
    WfbPayloadConverter,
    converter_class,
    describe_value,
    summary,
)
from wfb_jupyter.conversion._workflow_values import (
    READABLE,
    OpaqueValue,
    WorkflowFloat,
    WorkflowInt,
    WorkflowText,
    WorkflowValue,
)

__all__ = [
    # converters
    "WfbDataConverter",
    "WfbPayloadConverter",
    "PayloadLimits",
    "TEMPORAL_PAYLOAD_LIMIT",
    "converter_class",
    "data_converter",
    # payload forms
    "BINARY_BY_REFERENCE_BYTES",
    "BUNDLE",
    "SUMMARY_KEY",
    "TAGGED_KEY",
    # values as records and references show them
    "describe_value",
    "summary",
    "format_size",
    # what workflow code holds
    "READABLE",
    "OpaqueValue",
    "WorkflowFloat",
    "WorkflowInt",
    "WorkflowText",
    "WorkflowValue",
    # errors
    "PayloadTooLargeError",
    "UnsupportedValueError",
]
