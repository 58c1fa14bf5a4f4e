"""Activity retry policies: the server's defaults and the decision to retry or give up."""

from __future__ import annotations

from typing import TypeAlias

from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import workflow_pb2 as wf_enums
from temporalio.api.failure.v1 import message_pb2 as failure_pb

from ._clock import duration, seconds_of

DEFAULT_INITIAL_INTERVAL = 1.0
DEFAULT_BACKOFF_COEFFICIENT = 2.0
# The server caps the interval at this multiple of the initial interval when none is given.
DEFAULT_MAXIMUM_INTERVAL_FACTOR = 100

RetryState: TypeAlias = "wf_enums.RetryState.ValueType"


def with_defaults(policy: common.RetryPolicy | None) -> common.RetryPolicy:
    """The policy as the server records it in ActivityTaskScheduled: every unset field filled in."""
    filled = common.RetryPolicy()
    if policy is not None:
        filled.CopyFrom(policy)
    if seconds_of(filled.initial_interval) <= 0:
        filled.initial_interval.CopyFrom(duration(DEFAULT_INITIAL_INTERVAL))
    if filled.backoff_coefficient < 1.0:
        filled.backoff_coefficient = DEFAULT_BACKOFF_COEFFICIENT
    if seconds_of(filled.maximum_interval) <= 0:
        filled.maximum_interval.CopyFrom(
            duration(seconds_of(filled.initial_interval) * DEFAULT_MAXIMUM_INTERVAL_FACTOR)
        )
    return filled


def _is_non_retryable(policy: common.RetryPolicy, failure: failure_pb.Failure | None) -> bool:
    if failure is None or not failure.HasField("application_failure_info"):
        return False
    info = failure.application_failure_info
    return info.non_retryable or info.type in policy.non_retryable_error_types


def next_retry(
    policy: common.RetryPolicy,
    attempt: int,
    failure: failure_pb.Failure | None,
    now: float,
    deadline: float | None,
) -> tuple[float | None, RetryState]:
    """Return ``(delay, state)``: a delay in seconds before the next attempt, or ``None`` to give up."""
    if _is_non_retryable(policy, failure):
        return None, wf_enums.RETRY_STATE_NON_RETRYABLE_FAILURE
    if policy.maximum_attempts > 0 and attempt >= policy.maximum_attempts:
        return None, wf_enums.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED
    explicit = None
    if failure is not None and failure.HasField("application_failure_info"):
        info = failure.application_failure_info
        if info.HasField("next_retry_delay"):
            explicit = seconds_of(info.next_retry_delay)
    if explicit is not None:
        delay = explicit
    else:
        delay = seconds_of(policy.initial_interval) * policy.backoff_coefficient ** (attempt - 1)
        delay = min(delay, seconds_of(policy.maximum_interval))
    if deadline is not None and now + delay >= deadline:
        return None, wf_enums.RETRY_STATE_TIMEOUT
    return delay, wf_enums.RETRY_STATE_IN_PROGRESS
